"""``bkctl apply [PLANFILE | MANIFEST]``: carry out a plan; a saved plan is refused when stale."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from bkctl import operations
from bkctl.cli.console import err, is_interactive, out
from bkctl.cli.options import ManifestOption, now_or
from bkctl.cli.reporter import ConsoleReporter
from bkctl.errors import UsageError
from bkctl.model.plan import Plan, combined_exit_code
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
        bool, typer.Option("--allow-mass-prune", help="Allow a prune the plan flags as mass-prune.")
    ] = False,
    now: Annotated[str | None, typer.Option(
        "--now", help="Act as if it were this time (ISO-8601 or +DURATION): plan as of it, and stamp the "
                      "recovery points made with it (rehearsals, simulations).")] = None,
) -> int:
    """Apply a saved plan, or plan now, show it, ask, and apply.

    The actions for the targets that could be read are carried out; the exit code then
    says what went wrong anywhere (README's table; 1 when failures differ).
    """
    if source is not None and _is_plan_file(source):
        saved = load_plan(source)
        with Workspace.load(manifest) as workspace:
            result = operations.apply_saved(workspace, saved, ConsoleReporter(), allow_mass_prune=allow_mass_prune)
        return _finish(result, saved)
    with Workspace.load(manifest or source) as workspace:
        moment = now_or(now)
        if now:  # a rehearsal as of another moment: points are stamped with it too
            workspace.clock = moment
        plan = operations.plan(workspace, moment)
        render_text(plan, out)
        if not plan.has_changes:
            return _finish(ApplyResult(), plan) if plan.errors else 0
        if not auto_approve:
            if not is_interactive():
                raise UsageError("refusing to ask for approval: standard input is not a terminal",
                                 hint="review with `bkctl plan`, then run `bkctl apply --auto-approve`")
            if not typer.confirm("Do you want to perform these actions?", default=False, err=True):
                err.print("Apply cancelled.")
                return 1
        result = operations.apply_plan(workspace, plan, ConsoleReporter(), allow_mass_prune=allow_mass_prune)
    return _finish(result, plan)


def _finish(result: ApplyResult, plan: Plan) -> int:
    """Summary, then every target nothing could be done for; exit with the combined code."""
    out.print(result.summary())
    for error in plan.errors:
        err.print(f"[bold red]Error:[/] {escape(error.message)}")
        if error.hint:
            err.print(f"  [dim]hint: {escape(error.hint)}[/]")
    raise typer.Exit(combined_exit_code([plan.exit_code, result.exit_code]))
