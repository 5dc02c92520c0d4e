"""``bkctl restore WORKLOAD --to DIR | --to-file F | --into DSN``: restore a recovery point (never outside --to)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from bkctl import operations
from bkctl.cli.console import out
from bkctl.cli.options import ManifestOption, parse_time
from bkctl.errors import UsageError
from bkctl.sources.database_restore import redact_dsn
from bkctl.workspace import Workspace

__all__ = ["command"]


def command(
    workload: Annotated[str, typer.Argument(help="Workload whose point to restore.")],
    to: Annotated[Path | None, typer.Option("--to", help="Folder to restore files into.")] = None,
    to_file: Annotated[
        Path | None, typer.Option("--to-file", help="Write a stream point (dump, command output) here; - for stdout.")
    ] = None,
    into: Annotated[
        str | None, typer.Option("--into", help="Restore a postgres/mariadb point into this database (DSN).")
    ] = None,
    point: Annotated[str | None, typer.Option("--point", help="Recovery point id or unique prefix.")] = None,
    at: Annotated[str | None, typer.Option("--at", help="The newest point at or before this time.")] = None,
    include: Annotated[list[str] | None, typer.Option("--include", help="Only paths matching (repeatable).")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace files that already exist.")] = False,
    target: Annotated[str | None, typer.Option("--target", help="Restore from this target.")] = None,
    manifest: ManifestOption = None,
) -> None:
    """Restore a recovery point of a workload (the newest unless --point or --at)."""
    if point and at:
        raise UsageError("give --point or --at, not both")
    if sum(option is not None for option in (to, to_file, into)) != 1:
        raise UsageError("give exactly one of --to DIR, --to-file FILE or --into DSN")
    when = parse_time(at, option="--at") if at else None
    with Workspace.load(manifest) as workspace:
        row = operations.choose_point(workspace, workload, point=point, at=when, target=target)
        if into is not None:
            size = operations.restore_into_database(workspace, row, into)
            # The DSN is echoed without any password it may hold.
            print(f"restored {size} bytes of point {row.point.id[:12]} into {redact_dsn(into)}", file=sys.stderr)
        elif to_file is not None:
            size = _restore_to_file(workspace, row, to_file, overwrite=overwrite)
            print(f"restored {size} bytes of point {row.point.id[:12]} to {to_file}", file=sys.stderr)
        else:
            assert to is not None
            _restore_to_folder(workspace, row, to, include=include or [], overwrite=overwrite)


def _restore_to_file(workspace: Workspace, row: operations.PointRow, to_file: Path, *, overwrite: bool) -> int:
    """Stream a point into a file (``-`` is stdout); the file appears only when complete."""
    if str(to_file) == "-":
        return operations.restore_stream(workspace, row, sys.stdout.buffer)
    if to_file.exists() and not overwrite:
        raise UsageError(f"{to_file} exists", hint="pass --overwrite to replace it")
    partial = to_file.with_name(f".{to_file.name}.bkctl-partial")
    try:
        with partial.open("wb") as handle:
            size = operations.restore_stream(workspace, row, handle)
        partial.replace(to_file)
    finally:
        partial.unlink(missing_ok=True)
    return size


def _restore_to_folder(workspace: Workspace, row: operations.PointRow, to: Path, *, include: list[str],
                       overwrite: bool) -> None:
    result = operations.restore(workspace, row, to, include=include, overwrite=overwrite)
    point = row.point
    out.print(f"Restored point {point.id[:12]} of {point.workload} ({point.time:%Y-%m-%d %H:%M:%S} UTC) from "
              f"{row.target} into {to}: {result.files} files, {result.bytes} bytes")
    if result.skipped_existing:
        raise UsageError(f"{result.skipped_existing} entries already existed under {to} and were left alone",
                         hint="pass --overwrite to replace existing files")
