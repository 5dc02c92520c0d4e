"""``bkctl verify``: check repository structure and authenticate a share of the data."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from bkctl import operations
from bkctl.cli import console
from bkctl.cli.options import JsonOption, ManifestOption
from bkctl.cli.progress_view import format_seconds, watching
from bkctl.errors import ExitCode
from bkctl.model.units import format_size
from bkctl.workspace import Workspace

if TYPE_CHECKING:  # annotations only: bkctl.operations loads its submodules on first use
    from bkctl.operations import VerifyResult

__all__ = ["command"]


def command(
    target: Annotated[list[str] | None, typer.Option("--target", help="Only this target (repeatable).")] = None,
    read_data: Annotated[
        float, typer.Option("--read-data", min=0, max=100, help="Percent of packs to read back.")
    ] = 0.0,
    as_json: JsonOption = False,
    manifest: ManifestOption = None,
) -> None:
    """Verify every initialised repository target (or those named)."""
    console.use_json(as_json)
    started = time.monotonic()
    results: dict[str, VerifyResult] = {}
    read = 0
    with Workspace.load(manifest) as workspace:
        for name in target or sorted(workspace.manifest.targets):
            if not workspace.driver(name).initialized():
                continue
            with watching(f"verify {name}", "packs") as progress:
                results[name] = operations.verify(workspace, name, read_data, progress)
            read += progress.tally.bytes
    bad = [name for name, r in results.items() if not r.ok]
    if as_json:
        console.emit_json({"targets": {name: {"ok": r.ok, "problems": r.problems, "damaged_points": r.damaged_points,
                                              "damaged_files": r.damaged_files, "packs_read": r.packs_read}
                                       for name, r in results.items()}, "ok": not bad})
    for name, r in results.items():
        _show(name, r)
    packs = sum(r.packs_read for r in results.values())
    verdict = f"{len(bad)} with problems" if bad else "no problems"
    seconds = format_seconds(time.monotonic() - started)
    console.summary(f"Verified {len(results)} target{'' if len(results) == 1 else 's'}: {verdict}; {packs} pack"
                    f"{'' if packs == 1 else 's'} ({format_size(read)}) read in {seconds}.")
    raise typer.Exit(ExitCode.CORRUPT if bad else 0)


def _show(name: str, result: VerifyResult) -> None:
    """One line per target; its problems (errors, so shown even under --quiet) below it."""
    if result.ok:
        packs = f"{result.packs_read} pack{'' if result.packs_read == 1 else 's'}"
        console.say(f"[green]✓[/] target {escape(name)}: no problems ({packs} read)")
        return
    shown = console.report()
    shown.print(f"[red]✗[/] target {escape(name)}: {len(result.problems)} problem(s)")
    for problem in result.problems:
        shown.print(f"    {escape(problem)}")
    if result.damaged_points:
        shown.print(f"    damaged recovery points: {', '.join(p[:8] for p in result.damaged_points)}")
    if result.damaged_files:
        shown.print(f"    damaged files: {escape(', '.join(result.damaged_files))}")
