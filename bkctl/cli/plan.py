"""``bkctl plan``: what must be done, and why. Exit 0 no changes, 1 error, 2 changes (--detailed-exitcode)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bkctl import operations
from bkctl.cli.console import out
from bkctl.cli.options import NowOption, now_or
from bkctl.planfile import save_plan
from bkctl.render import render_json, render_markdown, render_text
from bkctl.workspace import Workspace

__all__ = ["command"]


class Format(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"


def command(
    path: Annotated[Path | None, typer.Argument(help="Manifest file or directory.")] = None,
    now: NowOption = None,
    target: Annotated[list[str] | None, typer.Option("--target", help="Only this target (repeatable).")] = None,
    workload: Annotated[list[str] | None, typer.Option("--workload", help="Only this workload (repeatable).")] = None,
    replace: Annotated[list[str] | None, typer.Option("--replace", help="Force a backup of this workload.")] = None,
    prune_orphans: Annotated[bool, typer.Option("--prune-orphans", help="Prune points of removed workloads.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TEXT,
    out_file: Annotated[Path | None, typer.Option("--out", help="Save the plan for `bkctl apply FILE`.")] = None,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when there are changes.")
    ] = False,
) -> int:
    """Compare the manifest with what the targets hold and show every action with its reason."""
    with Workspace.load(path) as workspace:
        result = operations.plan(workspace, now_or(now), targets=target, workloads=workload, replace=replace,
                                 prune_orphans=prune_orphans)
    if out_file is not None:
        save_plan(result, out_file)
    chosen = Format.JSON if as_json else fmt
    if chosen == Format.JSON:
        sys.stdout.write(render_json(result))
    elif chosen == Format.MARKDOWN:
        sys.stdout.write(render_markdown(result))
    else:
        render_text(result, out)
    if out_file is not None and chosen == Format.TEXT:
        out.print(f"Saved the plan to {out_file}; apply it with: bkctl apply {out_file}")
    raise typer.Exit(2 if detailed_exitcode and result.has_changes else 0)
