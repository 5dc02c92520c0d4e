"""``bkctl apply [PLANFILE | MANIFEST]``: carry out a plan; a saved plan is refused when stale.

A saved plan names the manifest it was made from (absolute), so ``bkctl apply PLANFILE``
works from any directory; ``-m`` overrides it (the stale check still compares digests).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from bkctl import operations
from bkctl.cli import console
from bkctl.cli.console import Verbosity, is_interactive
from bkctl.cli.options import JsonOption, ManifestOption, chosen_manifest, now_or
from bkctl.cli.reporter import ConsoleReporter, apply_document, apply_summary
from bkctl.errors import UsageError
from bkctl.model.plan import Plan, combined_exit_code
from bkctl.planfile import load_plan, recorded_manifest
from bkctl.render import render_json, render_text
from bkctl.workspace import Workspace

if TYPE_CHECKING:  # annotations only: bkctl.operations loads its submodules on first use
    from bkctl.operations import ApplyResult

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
    as_json: JsonOption = False,
) -> int:
    """Apply a saved plan, or plan now, show it, ask, and apply.

    The actions for the targets that could be read are carried out; the exit code then
    says what went wrong anywhere (README's table; 1 when failures differ).
    """
    console.use_json(as_json)
    reporter = ConsoleReporter()
    if source is not None and _is_plan_file(source):
        saved = load_plan(source)
        with Workspace.load(manifest or recorded_manifest(saved, context=str(source))) as workspace:
            result = operations.apply_saved(workspace, saved, reporter, allow_mass_prune=allow_mass_prune)
        return _finish(result, saved, reporter, as_json)
    with Workspace.load(chosen_manifest(manifest, source)) as workspace:
        moment = now_or(now)
        if now:  # a rehearsal as of another moment: points are stamped with it too
            workspace.clock = moment
        plan = operations.plan(workspace, moment)
        if console.verbosity() > Verbosity.QUIET or (plan.has_changes and not auto_approve):  # asked: shown
            render_text(plan, console.report())
        if not plan.has_changes:
            if plan.errors or as_json:
                return _finish(operations.ApplyResult(), plan, reporter, as_json)
            if console.verbosity() == Verbosity.QUIET:
                console.summary(plan.summary())
            return 0
        if not auto_approve:
            _confirm()
        result = operations.apply_plan(workspace, plan, reporter, allow_mass_prune=allow_mass_prune)
    return _finish(result, plan, reporter, as_json)


def _confirm() -> None:
    if not is_interactive():
        raise UsageError("refusing to ask for approval: standard input is not a terminal",
                         hint="review with `bkctl plan`, then run `bkctl apply --auto-approve`")
    if not typer.confirm("Do you want to perform these actions?", default=False, err=True):
        console.err.print("Apply cancelled.")
        raise typer.Exit(1)


def _finish(result: ApplyResult, plan: Plan, reporter: ConsoleReporter, as_json: bool) -> int:
    """Summary, then every target nothing could be done for; exit with the combined code."""
    code = combined_exit_code([plan.exit_code, result.exit_code])
    if as_json:
        document = apply_document(result, reporter)
        console.emit_json({"plan": json.loads(render_json(plan)), **document, "exit_code": code})
    console.summary(apply_summary(result, reporter))
    for error in plan.errors:
        console.err.print(f"[bold red]Error:[/] {escape(error.message)}")
        if error.hint:
            console.err.print(f"  [dim]hint: {escape(error.hint)}[/]")
    raise typer.Exit(code)
