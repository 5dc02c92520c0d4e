"""``bkctl verify``: check repository structure and authenticate a share of the data."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from bkctl import operations
from bkctl.cli.console import out
from bkctl.cli.options import ManifestOption
from bkctl.errors import ExitCode
from bkctl.workspace import Workspace

__all__ = ["command"]


def command(
    target: Annotated[list[str] | None, typer.Option("--target", help="Only this target (repeatable).")] = None,
    read_data: Annotated[
        float, typer.Option("--read-data", min=0, max=100, help="Percent of packs to read back.")
    ] = 0.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    manifest: ManifestOption = None,
) -> None:
    """Verify every initialised repository target (or those named)."""
    results = {}
    with Workspace.load(manifest) as workspace:
        for name in target or sorted(workspace.manifest.targets):
            if not workspace.driver(name).initialized():
                continue
            results[name] = operations.verify(workspace, name, read_data)
    bad = [name for name, r in results.items() if not r.ok]
    if as_json:
        sys.stdout.write(json.dumps({name: {"ok": r.ok, "problems": r.problems, "damaged_points": r.damaged_points,
                                            "damaged_files": r.damaged_files} for name, r in results.items()},
                                    indent=2) + "\n")
    else:
        for name, r in results.items():
            if r.ok:
                out.print(f"[green]✓[/] target {name}: no problems ({r.packs_read} packs read)")
                continue
            out.print(f"[red]✗[/] target {name}: {len(r.problems)} problem(s)")
            for problem in r.problems:
                out.print(f"    {problem}")
            if r.damaged_points:
                out.print(f"    damaged recovery points: {', '.join(p[:12] for p in r.damaged_points)}")
            if r.damaged_files:
                out.print(f"    damaged files: {', '.join(r.damaged_files)}")
    raise typer.Exit(ExitCode.CORRUPT if bad else 0)
