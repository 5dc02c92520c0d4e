"""Restore drills in the plan: when one is due, which point it restores, and RTO warnings.

A drill is due per workload (not per target: one measured restore answers "can we get it
back, and how fast") when no drill of it was recorded within the policy's ``every``. It
runs on the first of the workload's targets that holds a good point of it. The newest
drill comes from the run records the targets hold (``TargetState.runs``), so every
machine with the manifest plans the same drills.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime

from bkctl.model.manifest import Manifest
from bkctl.model.plan import Action, ActionKind, PlanWarning, PrunedPoint, Reason, WarningKind
from bkctl.model.policy import DrillSchedule
from bkctl.model.runs import DrillResult
from bkctl.model.state import ActualState, PointRecord, TargetState
from bkctl.planner.schedule import tolerance
from bkctl.planner.wording import format_age, format_time

__all__ = ["DrillEntry", "drill_history", "newest_drill", "plan_drill", "drill_warnings", "pick_point",
           "plan_drills"]


@dataclass(frozen=True)
class DrillEntry:
    """One recorded drill of a workload: where, when the run started, and what it measured."""

    target: str
    time: datetime
    result: DrillResult


def drill_history(targets: Iterable[TargetState], workload: str) -> list[DrillEntry]:
    """Every recorded drill of ``workload`` in the given targets, oldest first."""
    found = [DrillEntry(state.name, record.time, step.drill)
             for state in targets for record in state.runs for step in record.steps
             if step.workload == workload and step.drill is not None]
    return sorted(found, key=lambda entry: (entry.time, entry.target))


def newest_drill(targets: Iterable[TargetState], workload: str) -> DrillEntry | None:
    history = drill_history(targets, workload)
    return history[-1] if history else None


def pick_point(points: Sequence[PointRecord], pick: str, workload: str, now: datetime) -> PointRecord | None:
    """The newest good point, or a random good one (seeded by workload and time: reproducible)."""
    good = sorted((p for p in points if not p.partial), key=lambda p: (p.time, p.id))
    if not good:
        return None
    if pick == "random":
        return random.Random(f"{workload}|{now.isoformat()}").choice(good)
    return good[-1]


def plan_drill(workload: str, drill: DrillSchedule, candidates: Sequence[tuple[str, Sequence[PointRecord]]],
               newest: DrillEntry | None, now: datetime) -> Action | None:
    """A ``drill`` action when due, on the first candidate target holding a good point.

    ``candidates`` are (target, the workload's points there) in the workload's target order.
    """
    interval = drill.every.fixed()
    if newest is not None and now < newest.time + interval - tolerance(interval):
        return None
    for target, points in candidates:
        chosen = pick_point(points, drill.pick, workload, now)
        if chosen is None:
            continue
        when = ("never drilled" if newest is None
                else f"last drill {format_time(newest.time)}, {format_age(now - newest.time)} ago")
        detail = (f"{when}; every {drill.every}; restore point {chosen.id[:12]} ({format_time(chosen.time)}, "
                  f"{drill.pick}) and check it; objective {drill.rto}")
        return Action(kind=ActionKind.DRILL, target=target, workload=workload, reason=Reason.DRILL_DUE,
                      detail=detail, points=(PrunedPoint(id=chosen.id, time=chosen.time),))
    return None


def drill_warnings(workload: str, drill: DrillSchedule, newest: DrillEntry | None) -> list[PlanWarning]:
    """The newest drill failed, or took longer than today's objective."""
    if newest is None:
        return []
    result, objective = newest.result, drill.rto.fixed().total_seconds()
    where = f"workload '{workload}': the restore drill of {format_time(newest.time)} in target '{newest.target}'"
    if not result.ok:
        why = result.checks[0] if result.checks else "its checks failed"
        return [PlanWarning(kind=WarningKind.DRILL_FAILED, workload=workload, target=newest.target,
                            message=f"{where} failed: {why}")]
    if result.seconds > objective:
        return [PlanWarning(kind=WarningKind.DRILL_RTO_BREACH, workload=workload, target=newest.target,
                            message=f"{where} took {result.seconds:.1f}s, more than the recovery time objective "
                                    f"{drill.rto} ({objective:g}s)")]
    return []


def plan_drills(manifest: Manifest, state: ActualState, now: datetime, chosen: Set[str],
                owners: Mapping[str, str]) -> tuple[list[Action], list[PlanWarning]]:
    """Drill actions and warnings for every workload in ``owners`` whose policy asks for drills."""
    actions: list[Action] = []
    warnings: list[PlanWarning] = []
    for workload, owner in sorted(owners.items()):
        drill = manifest.policy_for(workload).drill
        if drill is None:
            continue
        targets = [state.targets[t] for t in manifest.workloads[workload].targets if t in state.targets]
        newest = newest_drill(targets, workload)
        warnings += drill_warnings(workload, drill, newest)
        candidates = [(t.name, t.points_of(workload, owner))
                      for t in targets if t.name in chosen and t.reachable]
        action = plan_drill(workload, drill, candidates, newest, now)
        if action is not None:
            actions.append(action)
    return actions, warnings
