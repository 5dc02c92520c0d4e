"""Object lock in the plan: prunes a lock holds back, and ``extend-lock`` for points kept longer.

A vault with ``immutable`` reports, per point, when the S3 Object Lock on its document ends
(``TargetState.object_locks``). Two things follow here, both pure:

- :func:`hold_locked_prunes`: a point retention no longer keeps but whose lock has not ended
  is not pruned (the storage would refuse, and on a versioned bucket a plain delete would
  only hide it); the plan says "kept by lock until DATE" as a ``kept-by-lock`` warning and a
  later apply prunes it once the date has passed.
- :func:`plan_extend_lock`: a point retention keeps past the end of its lock would stop being
  immutable while it is still one of the points kept. Its lock (and that of the data it
  needs, at apply time) is extended to the moment retention is expected to let it go.

When retention lets a point go depends on backups not made yet, so it is estimated from the
schedule: backups go on every interval from the next one due. The estimate is stable while
backups run on time (each new point moves "now" and the rule's count together), so a
point is extended once, not at every run; it moves later when backups stop, and the next
plan extends again. Dates are whole UTC days (the store's granularity).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from bkctl.model.plan import Action, ActionKind, PlanWarning, PrunedPoint, Reason, WarningKind
from bkctl.model.policy import Retention
from bkctl.model.state import PointRecord
from bkctl.model.state_times import end_of_utc_day
from bkctl.planner.retention import BUCKET_RULES, Verdict, apply_retention, period_key

__all__ = ["hold_locked_prunes", "LockJob", "plan_extend_lock", "retained_until", "SHOWN_POINTS"]

SHOWN_POINTS = 5
"""Points a kept-by-lock warning names one by one (the JSON plan's prune lists the rest)."""

_SHORTEST_PERIOD = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(days=7),
                    "monthly": timedelta(days=28), "yearly": timedelta(days=365)}


def _day(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d}"


def hold_locked_prunes(action: Action, locks: Mapping[str, datetime],
                       now: datetime) -> tuple[Action | None, PlanWarning | None]:
    """The prune without the points whose lock holds at ``now`` (None when none is left), and
    the warning naming them with their dates (None when no point was held)."""
    held = [p for p in action.points if _locked(locks.get(p.id), now)]
    if not held:
        return action, None
    kept = tuple(p for p in action.points if not _locked(locks.get(p.id), now))
    named = ", ".join(f"{p.id[:8]} kept by lock until {_day(locks[p.id])}" for p in held[:SHOWN_POINTS])
    more = f" and {len(held) - SHOWN_POINTS} more" if len(held) > SHOWN_POINTS else ""
    one = len(held) == 1
    warning = PlanWarning(
        kind=WarningKind.KEPT_BY_LOCK, target=action.target, workload=action.workload,
        message=(f"{len(held)} recovery point{'' if one else 's'} of workload '{action.workload}' in target "
                 f"'{action.target}' that retention no longer keeps {'is' if one else 'are'} not pruned: "
                 f"{named}{more}; apply prunes {'it' if one else 'them'} once the lock has ended"))
    if not kept:
        return None, warning
    detail = f"{action.detail}; {len(held)} of them kept by object lock, {len(kept)} deleted"
    return action.model_copy(update={"points": kept, "detail": detail}), warning


def _locked(until: datetime | None, now: datetime) -> bool:
    return until is not None and until > now


@dataclass(frozen=True)
class LockJob:
    """One workload's points in one locking target, as retention and the schedule see them.

    ``interval`` is the schedule's nominal gap between backups (bkctl.planner.schedule).
    """

    workload: str
    target: str
    retention: Retention
    zone: tzinfo
    interval: timedelta
    points: Sequence[PointRecord]
    locks: Mapping[str, datetime]
    now: datetime


def plan_extend_lock(job: LockJob) -> Action | None:
    """``extend-lock`` for the points retention keeps past the end of their lock (or that have none)."""
    verdicts = apply_retention(job.retention, [(p.time, p.id) for p in job.points], job.zone)
    times = [v.time for v in verdicts]
    chosen = []
    for index, verdict in enumerate(verdicts):
        if not verdict.kept:
            continue
        until = retained_until(job.retention, job.zone, job.interval, times, index, job.now)
        wanted, ends = end_of_utc_day(until), job.locks.get(verdict.key)
        if ends is None or ends < wanted:
            chosen.append(_extended(verdict, until, ends, wanted))
    if not chosen:
        return None
    chosen.sort(key=lambda p: (p.time, p.id), reverse=True)
    return Action(kind=ActionKind.EXTEND_LOCK, target=job.target, workload=job.workload,
                  reason=Reason.LOCK_ENDS_FIRST, detail=_detail(chosen), points=tuple(chosen))


def _extended(verdict: Verdict, until: datetime, ends: datetime | None, wanted: datetime) -> PrunedPoint:
    return PrunedPoint(id=verdict.key, time=verdict.time, retained_until=until, lock_ends=ends, lock_until=wanted)


def _detail(points: Sequence[PrunedPoint]) -> str:
    first = points[0]
    assert first.retained_until is not None and first.lock_until is not None
    ends = f"its lock ends {_day(first.lock_ends)}" if first.lock_ends is not None else "it has no lock"
    head = (f"retention keeps {first.id[:8]} until about {_day(first.retained_until)} but {ends}; "
            f"lock it and the data it needs until {_day(first.lock_until)}")
    return head if len(points) == 1 else f"{head} (and {len(points) - 1} more recovery points)"


def retained_until(retention: Retention, zone: tzinfo, interval: timedelta, times: Sequence[datetime],
                   index: int, now: datetime) -> datetime:
    """When retention is expected to stop keeping the point ``times[index]`` (``times`` newest first).

    Backups are assumed to go on every ``interval`` from the next one due. Each rule that
    keeps the point gives a moment; the latest wins.
    """
    following = max(times[0] + interval, now)
    ends = [following]  # the newest point is kept at least until the next backup
    if retention.last is not None and index < retention.last:
        ends.append(following + interval * (retention.last - index - 1))
    if index < retention.min_points:
        ends.append(following + interval * (retention.min_points - index - 1))
    if retention.within is not None and times[index] >= retention.within.before(times[0]):
        ends.append(max(times[index] + retention.within.fixed(), following))
    for rule, _ in BUCKET_RULES:
        count = getattr(retention, rule)
        if count is not None:
            end = _bucket_end(rule, count, zone, interval, times, index, following)
            if end is not None:
                ends.append(end)
    return max(ends)


def _bucket_end(rule: str, count: int, zone: tzinfo, interval: timedelta, times: Sequence[datetime], index: int,
                following: datetime) -> datetime | None:
    """When ``rule: count`` stops keeping the point: once ``count`` newer periods hold a point."""
    local = [moment.astimezone(zone) for moment in times[: index + 1]]
    mine = period_key(rule, local[index])
    if any(period_key(rule, moment) == mine for moment in local[:index]):
        return None  # a newer point holds this period: the rule keeps that one, not this
    newer = len({period_key(rule, moment) for moment in local[:index]})
    if newer >= count:
        return None
    if period_key(rule, following.astimezone(zone)) == mine:
        return following  # the next backup falls in this period and takes its place under this rule
    remaining = count - newer  # new periods that must receive a point before this one goes
    if interval >= _SHORTEST_PERIOD[rule]:
        return following + interval * (remaining - 1)
    newest = period_key(rule, local[0])
    upcoming = period_key(rule, following.astimezone(zone))
    first = newest + 1 if upcoming == newest else upcoming
    return max(_period_start(rule, first + remaining - 1, zone), following)


def _period_start(rule: str, key: int, zone: tzinfo) -> datetime:
    """The first instant of period number ``key`` (the inverse of ``period_key``), in ``zone``."""
    if rule == "hourly":
        day = datetime.fromordinal(key // 24)
        return day.replace(hour=key % 24, tzinfo=zone)
    if rule == "daily":
        return datetime.fromordinal(key).replace(tzinfo=zone)
    if rule == "weekly":
        return datetime.fromordinal(key * 7 + 1).replace(tzinfo=zone)
    if rule == "monthly":
        year, month = divmod(key - 1, 12)
        return datetime(year, month + 1, 1, tzinfo=zone)
    return datetime(key, 1, 1, tzinfo=zone)
