"""``bkctl restore WORKLOAD --to DIR | --to-file F | --into DSN``: restore a recovery point (never outside --to).

Exit codes: 0 restored; 1 existing files were left alone (every form, ``--overwrite``
replaces them); 66 the point, or anything matching ``--include``, was not found; 67
stored data is damaged (a files restore still writes every intact file first).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from bkctl import operations
from bkctl.cli import console
from bkctl.cli.options import JsonOption, ManifestOption, parse_time
from bkctl.cli.progress_view import format_seconds, watching
from bkctl.errors import BkctlError, ExitCode, MediaOffsiteError, RepositoryCorruptError, UsageError
from bkctl.model.tape_state import RestoreMap
from bkctl.model.units import format_size
from bkctl.planner.wording import format_age
from bkctl.sources.database_restore import redact_dsn
from bkctl.workspace import Workspace

__all__ = ["ExistingFilesError", "command"]

LANDED_SHOWN = 3  # backed-up roots named in the summary line


class ExistingFilesError(BkctlError):
    """Restore met files that exist and was not told to replace them.

    Exit 1, not 64: the command line was right, the destination was not empty. Every
    restore form that can meet existing files (``--to``, ``--to-file``) uses this code.
    """

    reference = "restore-existing"
    exit_code = ExitCode.ERROR


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
    as_json: JsonOption = False,
) -> None:
    """Restore a recovery point of a workload (the newest unless --point or --at)."""
    if point and at:
        raise UsageError("give --point or --at, not both")
    if sum(option is not None for option in (to, to_file, into)) != 1:
        raise UsageError("give exactly one of --to DIR, --to-file FILE or --into DSN")
    if as_json and to_file is not None and str(to_file) == "-":
        raise UsageError("--json and --to-file - both want standard output", hint="write the point to a file")
    console.use_json(as_json)
    started = time.monotonic()
    when = parse_time(at, option="--at") if at else None
    with Workspace.load(manifest) as workspace:
        row = operations.choose_point(workspace, workload, point=point, at=when, target=target)
        _announce_cartridges(operations.restore_map(workspace, row), row.target)
        if into is not None:
            # The DSN is echoed without any password it may hold.
            with _explained_damage(f"if the restore tool had started it was stopped, and {redact_dsn(into)} "
                                   "may hold part of the point"):
                size = operations.restore_into_database(workspace, row, into)
            _stream_restored(row, size, redact_dsn(into), "into", started)
        elif to_file is not None:
            size = _restore_to_file(workspace, row, to_file, overwrite=overwrite)
            _stream_restored(row, size, str(to_file), "to", started)
        else:
            assert to is not None
            _restore_to_folder(workspace, row, to, include=include or [], overwrite=overwrite, started=started)


def _point_facts(row: operations.PointRow) -> dict[str, Any]:
    return {"id": row.point.id, "workload": row.point.workload, "host": row.point.host,
            "time": row.point.time.isoformat(), "target": row.target}


def _stream_restored(row: operations.PointRow, size: int, destination: str, preposition: str,
                     started: float) -> None:
    """The summary of a stream restore; on stderr, since stdout may be carrying the stream."""
    seconds = time.monotonic() - started
    if console.json_mode():
        console.emit_json({"point": _point_facts(row), "destination": destination, "bytes": size,
                           "seconds": round(seconds, 3)})
    console.err.print(f"restored {format_size(size)} from point {row.point.id[:8]} {preposition} {destination} "
                      f"in {format_seconds(seconds)}", markup=False)


def _restore_to_file(workspace: Workspace, row: operations.PointRow, to_file: Path, *, overwrite: bool) -> int:
    """Stream a point into a file (``-`` is stdout); the file appears only when complete."""
    if str(to_file) == "-":
        with _explained_damage("what went to standard output is incomplete: discard it"):
            return operations.restore_stream(workspace, row, sys.stdout.buffer)
    if to_file.exists() and not overwrite:
        raise ExistingFilesError(f"{to_file} exists and was left alone", hint="pass --overwrite to replace it")
    partial = to_file.with_name(f".{to_file.name}.bkctl-partial")
    try:
        with _explained_damage(f"{to_file} was not written"), partial.open("wb") as handle:
            size = operations.restore_stream(workspace, row, handle)
        partial.replace(to_file)
    finally:
        partial.unlink(missing_ok=True)
    return size


@contextlib.contextmanager
def _explained_damage(consequence: str) -> Iterator[None]:
    """Add to a damage error what it means for this destination."""
    try:
        yield
    except RepositoryCorruptError as error:
        error.hint = f"{consequence}; {error.hint}" if error.hint else consequence
        raise


def _restore_to_folder(workspace: Workspace, row: operations.PointRow, to: Path, *, include: list[str],
                       overwrite: bool, started: float) -> None:
    with watching(f"restore {row.point.workload} {row.point.id[:8]} -> {to}") as progress:
        result = operations.restore(workspace, row, to, include=include, overwrite=overwrite, progress=progress)
    seconds = time.monotonic() - started
    if console.json_mode():
        console.emit_json({"point": _point_facts(row), "destination": str(to), "files": result.files,
                           "bytes": result.bytes, "skipped_existing": result.skipped_existing,
                           "landed": list(result.landed), "seconds": round(seconds, 3)})
    shown = ", ".join(result.landed[:LANDED_SHOWN])
    if len(result.landed) > LANDED_SHOWN:
        shown += f" and {len(result.landed) - LANDED_SHOWN} more"
    landed = f" (as {shown})" if shown else ""
    files = f"{result.files} file{'' if result.files == 1 else 's'}"
    point = row.point
    console.summary(f"Restored {files} ({format_size(result.bytes)}) from point {point.id[:8]} of "
                    f"{point.workload} ({point.time:%Y-%m-%d %H:%M:%S} UTC, target {row.target}) into {to}{landed} "
                    f"in {format_seconds(seconds)}")
    if result.skipped_existing:
        raise ExistingFilesError(f"{result.skipped_existing} entries already existed under {to} and were left alone",
                                 hint="pass --overwrite to replace existing files")


def _announce_cartridges(needs: RestoreMap | None, target: str) -> None:
    """From tape: which cartridges, in which order, from where, how long (Bareos's bootstrap).

    A needed cartridge in a vault stops the restore before anything is loaded (exit 73),
    naming it, the vault and the recall lead time.
    """
    if needs is None:
        return
    if needs.offsite:
        names = ", ".join(f"{n.barcode} in vault '{n.location.removeprefix('vault:')}' (recall lead time "
                          f"{format_age(timedelta(seconds=n.recall_seconds))})" for n in needs.offsite)
        raise MediaOffsiteError(f"the restore of point {needs.point[:12]} needs cartridge(s) that are off-site: "
                                f"{names}", barcodes=tuple(n.barcode for n in needs.offsite),
                                vaults=tuple(n.location.removeprefix("vault:") for n in needs.offsite),
                                hint=f"recall them, then `bkctl tape import {target} "
                                     f"{' '.join(n.barcode for n in needs.offsite)}`, and restore again")
    order = ", ".join(f"{n.barcode} ({n.location})" for n in needs.needs)
    print(f"reading {len(needs.needs)} cartridge(s) in order: {order}; about "
          f"{format_age(timedelta(seconds=round(needs.estimate_seconds)))} for {format_size(needs.bytes)}",
          file=sys.stderr)
