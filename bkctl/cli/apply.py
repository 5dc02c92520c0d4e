"""``bkctl apply [PLANFILE | MANIFEST]``: carry out a plan; a saved plan is refused when stale."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bkctl import operations
from bkctl.cli.console import err, is_interactive, out
from bkctl.cli.options import ManifestOption, NowOption, now_or
from bkctl.cli.reporter import ConsoleReporter
from bkctl.errors import UsageError
from bkctl.model.plan import WarningKind
from bkctl.operations import ApplyResult
from bkctl.planfile import load_plan
from bkctl.render import render_text
from bkctl.workspace import Workspace

__all__ = ["command"]


def _is_plan_file(path: Path) -> bool:
    if not path.is_file():
        return False
    with path.open("rb") as handle:
        return handle.read(64).lstrip()[:1] == b"{"


def command(
    source: Annotated[Path | None, typer.Argument(help="A saved plan (from `plan --out`) or a manifest.")] = None,
    manifest: ManifestOption = None,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")] = False,
    allow_mass_prune: Annotated[
        bool, typer.Option("--allow-mass-prune", help="Allow more prunes than settings.max_prune_per_apply.")
    ] = False,
    now: NowOption = None,
) -> int:
    """Apply a saved plan, or plan now, show it, ask, and apply."""
    if source is not None and _is_plan_file(source):
        saved = load_plan(source)
        with Workspace.load(manifest) as workspace:
            result = operations.apply_saved(workspace, saved, ConsoleReporter(), allow_mass_prune=allow_mass_prune)
        return _finish(result)
    with Workspace.load(manifest or source) as workspace:
        plan = operations.plan(workspace, now_or(now))
        render_text(plan, out)
        unreachable = sorted({w.target for w in plan.warnings if w.kind == WarningKind.UNREACHABLE_TARGET and w.target})
        if not plan.has_changes:
            return _finish(ApplyResult(), unreachable) if unreachable else 0
        if not auto_approve:
            if not is_interactive():
                raise UsageError("refusing to ask for approval: standard input is not a terminal",
                                 hint="review with `bkctl plan`, then run `bkctl apply --auto-approve`")
            if not typer.confirm("Do you want to perform these actions?", default=False, err=True):
                err.print("Apply cancelled.")
                return 1
        result = operations.apply_plan(workspace, plan, ConsoleReporter(), allow_mass_prune=allow_mass_prune)
    return _finish(result, unreachable)


def _finish(result: ApplyResult, unreachable: list[str] | None = None) -> int:
    out.print(result.summary())
    if unreachable:
        err.print(f"[red]Error:[/] nothing could be done for unreachable target(s): {', '.join(unreachable)}")
    raise typer.Exit(1 if result.failed or unreachable else 0)
