"""``bkctl plan``: what must be done, and why.

Exit 0 no changes, 2 changes (with --detailed-exitcode). A plan that could not read a
target is incomplete: it is still shown (and saved with --out), but the command exits with
the failure's code (65 wrong passphrase, 69 unreachable, 1 when several differ), with or
without --detailed-exitcode, because CI must never take a partial plan for "No changes.".
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from bkctl import operations
from bkctl.cli import console
from bkctl.cli.console import Verbosity, err
from bkctl.cli.options import JsonOption, ManifestArgument, ManifestOption, NowOption, chosen_manifest, now_or
from bkctl.planfile import save_plan
from bkctl.render import render_json, render_markdown, render_text
from bkctl.workspace import Workspace

__all__ = ["command"]


class Format(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"


def command(
    path: ManifestArgument = None,
    manifest: ManifestOption = None,
    now: NowOption = None,
    target: Annotated[list[str] | None, typer.Option("--target", help="Only this target (repeatable).")] = None,
    workload: Annotated[list[str] | None, typer.Option("--workload", help="Only this workload (repeatable).")] = None,
    replace: Annotated[list[str] | None, typer.Option("--replace", help="Force a backup of this workload.")] = None,
    prune_orphans: Annotated[bool, typer.Option("--prune-orphans", help="Prune points of removed workloads.")] = False,
    as_json: JsonOption = False,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TEXT,
    out_file: Annotated[Path | None, typer.Option("--out", help="Save the plan for `bkctl apply FILE`.")] = None,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode",
                           help="Exit 2 when there are changes (an unreadable target still exits 65, 69 or 1).")
    ] = False,
) -> int:
    """Compare the manifest with what the targets hold and show every action with its reason."""
    chosen = Format.JSON if as_json else fmt
    console.use_json(chosen != Format.TEXT)
    with Workspace.load(chosen_manifest(manifest, path)) as workspace:
        result = operations.plan(workspace, now_or(now), targets=target, workloads=workload, replace=replace,
                                 prune_orphans=prune_orphans)
        if out_file is not None:
            save_plan(result, out_file, manifest=workspace.loaded.path)
    if chosen == Format.JSON:
        sys.stdout.write(render_json(result))
    elif chosen == Format.MARKDOWN:
        sys.stdout.write(render_markdown(result))
    elif console.verbosity() > Verbosity.QUIET:
        render_text(result, console.out)
    else:
        console.summary(result.summary())
    if out_file is not None:
        console.say(f"Saved the plan to {out_file}; apply it with: bkctl apply {out_file}")
    if result.errors:
        if chosen != Format.TEXT or console.verbosity() == Verbosity.QUIET:  # else the text view names them
            for error in result.errors:
                err.print(f"[bold red]Error:[/] {escape(error.message)}")
        raise typer.Exit(result.exit_code)
    raise typer.Exit(2 if detailed_exitcode and result.has_changes else 0)
