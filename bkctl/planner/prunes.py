"""Prune actions: retention per workload and target, orphans on request, safety rails."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo
from types import EllipsisType

from bkctl.model.plan import Action, ActionKind, PlanWarning, PrunedPoint, Reason, WarningKind
from bkctl.model.policy import Retention
from bkctl.model.state import PointRecord
from bkctl.planner.backups import newest_good
from bkctl.planner.retention import apply_retention

__all__ = ["plan_prune", "plan_orphans", "mass_prune_warnings", "MASS_PRUNE_SHARE_MIN_POINTS"]


def plan_prune(
    workload: str,
    target: str,
    retention: Retention,
    points: Sequence[PointRecord],
    zone: tzinfo,
    newest: PointRecord | EllipsisType | None = ...,
) -> Action | None:
    """Prune the points no rule keeps, never the newest good (complete) point.

    ``newest`` is that point when the caller has found it already (:func:`newest_good`
    of ``points``); otherwise it is found here.
    """
    verdicts = apply_retention(retention, [(p.time, p.id) for p in points], zone, explain=False)
    keep_anyway = newest_good(points) if isinstance(newest, EllipsisType) else newest
    pruned = tuple(
        PrunedPoint(id=v.key, time=v.time, rules_not_keeping=v.reasons)
        for v in verdicts
        if not v.kept and (keep_anyway is None or v.key != keep_anyway.id)
    )
    if not pruned:
        return None
    return Action(
        kind=ActionKind.PRUNE,
        target=target,
        workload=workload,
        reason=Reason.RETENTION,
        detail=f"{len(pruned)} of {len(points)} recovery points kept by no retention rule",
        points=pruned,
    )


def plan_orphans(
    target: str, orphans: dict[tuple[str, str], list[PointRecord]], prune: bool
) -> tuple[list[Action], list[PlanWarning]]:
    """Orphaned points are kept and warned about, unless pruning them was asked for."""
    actions: list[Action] = []
    warnings: list[PlanWarning] = []
    for (workload, host), points in sorted(orphans.items()):
        fate = "pruned (--prune-orphans)" if prune else "kept (use --prune-orphans to delete them)"
        warnings.append(
            PlanWarning(
                kind=WarningKind.ORPHANED_POINTS,
                target=target,
                workload=workload,
                message=(
                    f"target '{target}' holds {len(points)} recovery point"
                    f"{'s' if len(points) != 1 else ''} of workload '{workload}' (host {host}) "
                    f"that the manifest no longer stores there; {fate}"
                ),
            )
        )
        if prune:
            actions.append(_orphan_prune(target, workload, points))
    return actions, warnings


def _orphan_prune(target: str, workload: str, points: list[PointRecord]) -> Action:
    ordered = sorted(points, key=lambda p: (p.time, p.id), reverse=True)
    return Action(
        kind=ActionKind.PRUNE,
        target=target,
        workload=workload,
        reason=Reason.ORPHANED,
        detail=f"{len(points)} recovery points of a workload no longer in the manifest",
        points=tuple(
            PrunedPoint(id=p.id, time=p.time, rules_not_keeping=("orphaned",)) for p in ordered
        ),
    )


MASS_PRUNE_SHARE_MIN_POINTS = 4
"""A workload's history must hold at least this many points for the share rule to apply:
with ``last: 1`` and a day without apply, pruning 2 of 3 points is routine, not a mistake."""


def mass_prune_warnings(actions: Sequence[Action], limit: int,
                        history: Mapping[tuple[str, str], int]) -> tuple[PlanWarning, ...]:
    """Warnings that make apply ask for --allow-mass-prune (the plan's ``needs_confirmation``).

    Two rails: more points in one plan than settings.max_prune_per_apply, and a retention
    prune deleting more than half of one workload's points in one target when it holds at
    least MASS_PRUNE_SHARE_MIN_POINTS (a retention typo such as ``last: 3`` for ``daily:
    30`` stays under any count on a small history, yet deletes most of it). ``history`` is
    the number of points per (target, workload). Orphan prunes are left to the count:
    ``--prune-orphans`` is itself the request to delete a removed workload's points.
    """
    found = [_share_warning(a, history.get((a.target, a.workload or ""), 0)) for a in actions
             if a.kind == ActionKind.PRUNE and a.reason == Reason.RETENTION]
    total = sum(len(a.points) for a in actions if a.kind == ActionKind.PRUNE)
    if total > limit:
        found.insert(0, PlanWarning(
            kind=WarningKind.MASS_PRUNE,
            message=(
                f"this plan prunes {total} recovery points, more than "
                f"settings.max_prune_per_apply ({limit}); apply refuses it without "
                "--allow-mass-prune"
            ),
        ))
    return tuple(w for w in found if w is not None)


def _share_warning(action: Action, held: int) -> PlanWarning | None:
    pruned = len(action.points)
    if held < MASS_PRUNE_SHARE_MIN_POINTS or pruned * 2 <= held:
        return None
    return PlanWarning(
        kind=WarningKind.MASS_PRUNE,
        target=action.target,
        workload=action.workload,
        message=(
            f"this plan prunes {pruned} of the {held} recovery points of workload "
            f"'{action.workload}' in target '{action.target}', more than half; apply refuses "
            "it without --allow-mass-prune"
        ),
    )
