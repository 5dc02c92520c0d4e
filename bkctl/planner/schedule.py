"""When a backup is due: interval (``every``), ``per_day`` or cron slots.

A scheduled CI job never runs exactly on time, so an interval schedule has a small
tolerance: 2 % of the interval, capped at 5 minutes. With ``every: 8h`` and a job every
15 minutes, a point taken at 08:00:40 makes the next backup due from 15:55:40 rather
than 16:00:40, so the 16:00 run takes it instead of the 16:15 one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from croniter import croniter

from bkctl.model.policy import Schedule

__all__ = ["TOLERANCE_CAP", "tolerance", "interval_of", "zone_of", "is_due", "next_due"]

TOLERANCE_CAP = timedelta(minutes=5)
_TOLERANCE_SHARE = 0.02
_DAY = timedelta(days=1)


def tolerance(interval: timedelta) -> timedelta:
    """How early a backup may run and still count as on time."""
    return min(interval * _TOLERANCE_SHARE, TOLERANCE_CAP)


def zone_of(schedule: Schedule) -> tzinfo:
    """The schedule's time zone, UTC when absent (also used for retention periods)."""
    return ZoneInfo(schedule.timezone) if schedule.timezone else UTC


def interval_of(schedule: Schedule, after: datetime) -> timedelta:
    """The nominal gap between backups; for cron, the gap between the next two slots."""
    if schedule.every is not None:
        return schedule.every.fixed()
    if schedule.per_day is not None:
        return _DAY / schedule.per_day
    first = _next_slot(schedule, after)
    return _next_slot(schedule, first) - first


def _next_slot(schedule: Schedule, after: datetime) -> datetime:
    assert schedule.cron is not None
    local = after.astimezone(zone_of(schedule))
    slot = croniter(schedule.cron, local).get_next(datetime)
    return slot.astimezone(UTC)


def next_due(schedule: Schedule, newest: datetime | None) -> datetime | None:
    """The moment from which the next backup is due; ``None`` means now (never backed up)."""
    if newest is None:
        return None
    if schedule.cron is not None:
        # A cron backup is due once a slot has passed since the newest point.
        return _next_slot(schedule, newest)
    interval = interval_of(schedule, newest)
    return newest + interval - tolerance(interval)


def is_due(schedule: Schedule, newest: datetime | None, now: datetime) -> bool:
    """True when the newest good point is missing or older than the schedule allows."""
    due = next_due(schedule, newest)
    return due is None or now >= due
