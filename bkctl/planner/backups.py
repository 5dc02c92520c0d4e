"""Backup actions and RPO warnings for one workload in one target."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter

from bkctl.model.plan import Action, ActionKind, PlanWarning, Reason, WarningKind
from bkctl.model.policy import Schedule
from bkctl.model.state import PointRecord
from bkctl.planner.schedule import interval_of, is_due
from bkctl.planner.wording import format_age, format_time

__all__ = ["newest_good", "plan_backup", "rpo_warning", "describe_schedule"]

RPO_FACTOR = 2  # a newest good point older than twice the interval breaches the RPO


def newest_good(points: Sequence[PointRecord]) -> PointRecord | None:
    """The newest complete point; a partial point never makes a backup not due."""
    return max((p for p in points if not p.partial), key=_NEWNESS, default=None)


_NEWNESS = attrgetter("time", "id")  # in C: newest_good runs once per workload and target


def describe_schedule(schedule: Schedule) -> str:
    if schedule.every is not None:
        return f"every {schedule.every}"
    if schedule.per_day is not None:
        return f"{schedule.per_day} per day"
    zone = f" ({schedule.timezone})" if schedule.timezone else ""
    return f"cron '{schedule.cron}'{zone}"


def plan_backup(
    workload: str,
    target: str,
    schedule: Schedule,
    newest: PointRecord | None,
    now: datetime,
    forced: bool,
    definition: str = "",
) -> Action | None:
    """A backup action when forced, never backed up, redefined or due; else None.

    ``newest`` is the workload's :func:`newest_good` point in the target (found once per
    workload and target: at fleet scale each pass over the points is a cost).
    ``definition`` is the digest of the workload's definition today; a newest point made
    from another definition makes a backup due at once (points from a bkctl that recorded
    no digest never do). It outranks ``schedule-due`` because it says more to a reviewer.
    """
    if forced:
        return _backup(workload, target, Reason.FORCED, "requested with --replace")
    if newest is None:
        return _backup(workload, target, Reason.NEVER_BACKED_UP, "no complete recovery point")
    if definition and newest.definition and newest.definition != definition:
        detail = (f"the workload's definition changed since the newest point "
                  f"{newest.id[:12]} ({format_time(newest.time)})")
        return _backup(workload, target, Reason.DEFINITION_CHANGED, detail)
    if not is_due(schedule, newest.time, now):
        return None
    detail = (
        f"newest point {format_time(newest.time)} is {format_age(now - newest.time)} old; "
        f"schedule {describe_schedule(schedule)}"
    )
    return _backup(workload, target, Reason.SCHEDULE_DUE, detail)


def _backup(workload: str, target: str, reason: Reason, detail: str) -> Action:
    return Action(
        kind=ActionKind.BACKUP, target=target, workload=workload, reason=reason, detail=detail
    )


def rpo_warning(
    workload: str, target: str, schedule: Schedule, newest: PointRecord | None, now: datetime
) -> PlanWarning | None:
    """Warn when the newest good point (:func:`newest_good`) is older than twice the schedule interval."""
    if newest is None:
        return None
    interval = interval_of(schedule, newest.time)
    age = now - newest.time
    if age <= interval * RPO_FACTOR:
        return None
    return PlanWarning(
        kind=WarningKind.RPO_BREACH,
        target=target,
        workload=workload,
        message=(
            f"workload '{workload}' in target '{target}': newest good recovery point is "
            f"{format_age(age)} old, more than twice the schedule interval "
            f"({format_age(interval)})"
        ),
    )
