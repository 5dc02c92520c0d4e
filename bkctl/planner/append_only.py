"""Append-only disk targets in the plan: prunes that this run's key may not carry out are held back.

A disk target with ``append_only: true`` refuses deletes unless its repository was opened
with the owner key (bkctl/store/append_only.py). Observation reports the role of a
non-owner key (``TargetState.append_only_role``); planning a prune there would only plan a
failure (exit 77) and skip the reclaim after it. So the prune is left out, with a
``kept-append-only`` warning naming its points, and no reclaim is planned; a plan made
where the owner key is configured prunes and reclaims as usual.
"""

from __future__ import annotations

from collections.abc import Sequence

from bkctl.model.plan import Action, ActionKind, PlanWarning, WarningKind
from bkctl.model.state import TargetState
from bkctl.planner.locks import SHOWN_POINTS

__all__ = ["deletes_refused", "hold_append_only_prunes"]


def deletes_refused(observed: TargetState) -> bool:
    """Whether this run's key may not delete in the target (append-only, opened without the owner key)."""
    return bool(observed.append_only_role)


def hold_append_only_prunes(actions: Sequence[Action], observed: TargetState) -> tuple[list[Action],
                                                                                       list[PlanWarning]]:
    """``actions`` without the prunes of ``observed``'s target when it refuses them, and one
    warning per held prune (nothing changes for a target that accepts deletes)."""
    if not deletes_refused(observed):
        return list(actions), []
    kept: list[Action] = []
    warnings: list[PlanWarning] = []
    for action in actions:
        if action.kind == ActionKind.PRUNE and action.target == observed.name:
            warnings.append(_held(action, observed.append_only_role))
        else:
            kept.append(action)
    return kept, warnings


def _held(action: Action, role: str) -> PlanWarning:
    points = action.points
    one = len(points) == 1
    named = ", ".join(p.id[:8] for p in points[:SHOWN_POINTS])
    more = f" and {len(points) - SHOWN_POINTS} more" if len(points) > SHOWN_POINTS else ""
    return PlanWarning(
        kind=WarningKind.KEPT_APPEND_ONLY, target=action.target, workload=action.workload,
        message=(f"{len(points)} recovery point{'' if one else 's'} of workload '{action.workload}' in target "
                 f"'{action.target}' that the plan would prune {'is' if one else 'are'} kept ({named}{more}): "
                 f"the target is append-only and this run opened it with a {role} key; prune with the owner key"))
