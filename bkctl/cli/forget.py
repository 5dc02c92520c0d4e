"""``bkctl forget POINT_ID...``: delete named recovery points, with prune's safety rails.

Each id (or unique prefix) is deleted from every target holding it (a replica's copy
too, or only the one ``--target`` names), after a confirmation; without a terminal,
``--yes`` is required. Refused, with nothing deleted: more points than
settings.max_prune_per_apply, or more than half of a workload's points in a target
(``--allow-mass-prune``), and leaving a workload without any complete point in a target
(``--allow-last``). A point document that is damaged can be forgotten by its id too.
Only the point documents go now; the data they alone used is marked by the next
``bkctl reclaim`` (or apply) and deleted by a later one (two-phase reclaim).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from bkctl import operations
from bkctl.cli.console import err, is_interactive, out
from bkctl.cli.listing import point_label, print_json
from bkctl.cli.options import ManifestOption
from bkctl.errors import UsageError
from bkctl.workspace import Workspace

__all__ = ["command"]


def command(
    ids: Annotated[list[str], typer.Argument(help="Recovery point ids or unique prefixes.")],
    target: Annotated[str | None, typer.Option("--target", help="Only delete the copies in this target.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    allow_last: Annotated[bool, typer.Option(
        "--allow-last", help="Allow leaving a workload without any complete point in a target.")] = False,
    allow_mass_prune: Annotated[bool, typer.Option(
        "--allow-mass-prune", help="Allow more than settings.max_prune_per_apply points, or most of a workload's.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    manifest: ManifestOption = None,
) -> None:
    """Delete the named recovery points (their data goes in a later reclaim)."""
    with Workspace.load(manifest) as workspace:
        request = operations.request_forget(workspace, ids, target=target, allow_last=allow_last,
                                            allow_mass_prune=allow_mass_prune)
        _show(request)
        _confirm(request, yes)
        result = operations.forget(workspace, request)
    if as_json:
        print_json({**result.as_dict(), "unreadable_targets": {t: e.message for t, e in request.failures.items()}})
    else:
        count = len(result.deleted) + len(result.removed_damaged)
        out.print(f"Forgot {count} recovery point{'' if count == 1 else 's'}; their data is freed by "
                  "`bkctl reclaim` (marked now, deleted by a later run)", markup=False)
    for name, error in request.failures.items():
        err.print(f"[bold red]Error:[/] target '{escape(name)}' could not be read; a copy it holds was not "
                  f"forgotten: {escape(error.message)}")
    if request.failures:
        raise typer.Exit(operations.Readable(failures=request.failures).exit_code)


def _show(request: operations.ForgetRequest) -> None:
    err.print("To forget:")
    for row in request.rows:
        state = " (partial)" if row.point.partial else ""
        err.print(f"  {point_label(row)}{state}", markup=False)
    for target, point_id in request.damaged:
        err.print(f"  point {point_id} in target {target}: damaged document", markup=False)


def _confirm(request: operations.ForgetRequest, yes: bool) -> None:
    if yes:
        return
    if not is_interactive():
        raise UsageError("refusing to ask for confirmation: standard input is not a terminal",
                         hint="re-run with --yes once you are sure")
    count = len(request.rows) + len(request.damaged)
    if not typer.confirm(f"Forget these {count} recovery point(s)?", default=False, err=True):
        raise typer.Exit(1)
