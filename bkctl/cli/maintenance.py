"""``bkctl reclaim``, ``bkctl unlock`` and ``bkctl repair``: the repository's upkeep by hand.

``apply`` already plans reclaims; these commands are for the moments an operator acts
directly: a full disk (``reclaim --now``), a crashed run's lock (``unlock``), and damage
that ``verify`` named (``repair index``, ``repair points``).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.markup import escape

from bkctl import operations
from bkctl.cli import console
from bkctl.cli.console import is_interactive
from bkctl.cli.options import JsonOption, ManifestOption
from bkctl.errors import UsageError
from bkctl.workspace import Workspace

__all__ = ["reclaim_command", "unlock_command", "repair_app"]

TargetsOption = Annotated[list[str] | None, typer.Option("--target", help="Only this target (repeatable).")]
YesOption = Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")]

repair_app = typer.Typer(help="Repair what `bkctl verify` reports as damaged.", no_args_is_help=True)


def _emit(rows: list[dict[str, Any]]) -> None:
    """Under ``--json``, one document with a row per target (what the summary lines say)."""
    if console.json_mode():
        console.emit_json({"targets": rows})


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not is_interactive():
        raise UsageError("refusing to ask for confirmation: standard input is not a terminal",
                         hint="re-run with --yes once you are sure")
    if not typer.confirm(question, default=False, err=True):
        raise typer.Exit(1)


def reclaim_command(
    target: TargetsOption = None,
    now: Annotated[bool, typer.Option(
        "--now", help="Delete unreferenced data at once (exclusive lock: fails while a backup runs).")] = False,
    manifest: ManifestOption = None,
    as_json: JsonOption = False,
) -> None:
    """Mark data no recovery point references; delete what an earlier reclaim marked."""
    console.use_json(as_json)
    rows = []
    with Workspace.load(manifest) as workspace:
        for name in operations.repository_targets(workspace, target):
            stats = operations.reclaim(workspace, name, immediate=now)
            console.summary(f"✓ target {name}: {stats.describe()}")
            rows.append({"target": name, **asdict(stats)})
    _emit(rows)


def unlock_command(
    target: TargetsOption = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Remove every lock, live ones too (only when no bkctl runs against the target).")] = False,
    yes: YesOption = False,
    manifest: ManifestOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remove stale locks (dead process, or not refreshed within the 30-minute lease)."""
    console.use_json(as_json)
    rows: list[dict[str, Any]] = []
    with Workspace.load(manifest) as workspace:
        names = operations.repository_targets(workspace, target)
        if force:
            _confirm(f"Remove every lock of {', '.join(names)}, even those of running processes?", yes)
        for name in names:
            removed = operations.unlock(workspace, name, only_stale=not force)
            console.summary(f"target {name}: {len(removed)} lock(s) removed")
            for text in removed:
                console.say(f"    {escape(text)}")
            rows.append({"target": name, "removed": removed})
    _emit(rows)


@repair_app.command("index")
def repair_index_command(target: TargetsOption = None, manifest: ManifestOption = None,
                         as_json: JsonOption = False) -> None:
    """Rebuild the index from the packs' own headers (after verify names a damaged index)."""
    console.use_json(as_json)
    rows = []
    with Workspace.load(manifest) as workspace:
        for name in operations.repository_targets(workspace, target):
            result = operations.repair_index(workspace, name)
            console.summary(f"✓ target {name}: index rebuilt from {result.packs_indexed} packs "
                            f"({result.blobs_indexed} blobs; {result.objects_replaced} old index objects replaced)")
            for pack in result.recovered_from_index:
                console.say(f"    pack {pack}: header unreadable, entries kept from the old index")
            for pack in result.unreadable_packs:
                console.report().print(
                    f"    [red]pack {pack}: header unreadable and in no intact index; its blobs are lost[/]")
            rows.append({"target": name, **asdict(result)})
    _emit(rows)


@repair_app.command("points")
def repair_points_command(
    target: TargetsOption = None,
    remove_damaged: Annotated[bool, typer.Option(
        "--remove-damaged", help="Delete damaged point documents no intact copy can restore.")] = False,
    yes: YesOption = False,
    manifest: ManifestOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write back intact cached copies of damaged point documents."""
    console.use_json(as_json)
    rows = []
    with Workspace.load(manifest) as workspace:
        names = operations.repository_targets(workspace, target)
        if remove_damaged:
            _confirm("Delete the damaged point documents that cannot be restored?", yes)
        for name in names:
            result = operations.repair_points(workspace, name, remove=remove_damaged)
            console.summary(f"target {name}: {len(result.restored)} restored from the local cache, "
                            f"{len(result.removed)} removed, {len(result.unrecoverable)} unrecoverable")
            for point_id in result.unrecoverable:
                console.report().print(f"    [red]{point_id}: no intact copy[/] (remove it with --remove-damaged)")
            rows.append({"target": name, **asdict(result)})
    _emit(rows)
