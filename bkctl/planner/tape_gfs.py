"""GFS rotation onto tape: which source points go to which pool, and when they leave it.

A tape target with ``copy_from: S`` receives, per workload stored in S, the points that
the workload's retention keeps in S as weekly, monthly or yearly points (its reasons
``weekly 2026-W03``, ``monthly 2026-01``, ``yearly 2026``), each written once, into the
pool that ``receives`` the most senior of those levels. Veeam and DPM write their GFS
copies when the period is over; so do we:

- a level counts once its period has **closed** (``now`` is in a later period, in the
  schedule's time zone). While the week is running, its newest point changes with every
  backup; writing each one would put every daily point on tape;
- a point that is still the newest of an open, more senior period **waits**: on the last
  Sunday of a month the week closes before the month does, and the point belongs in the
  monthly pool, not written twice;
- a point already on the tape (in any pool, even pruned there) is never written again,
  and one that the pool's retention would expire at once is not written at all.

Pool retention: a duration counts from the point's time, ``keep`` never expires, and
without one the workload's policy decides with its own count for the level the pool
receives (``weekly: 12`` keeps the twelve newest weekly points in a weekly pool).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from bkctl.model.plan import Action, ActionKind, PrunedPoint, Reason
from bkctl.model.policy import Retention
from bkctl.model.state import PointRecord
from bkctl.model.tape import GFS_LEVELS, TapePool
from bkctl.model.tape_state import TapePlacement
from bkctl.model.units import Duration
from bkctl.planner.retention import BUCKET_RULES, apply_retention

__all__ = ["GfsJob", "gfs_prunes", "plan_gfs_copies", "pool_expired"]

_PERIOD = dict(BUCKET_RULES)
_SENIORITY = tuple(reversed(GFS_LEVELS))  # yearly, monthly, weekly


@dataclass(frozen=True)
class GfsJob:
    """One workload's points in the source and on the tape, as the planner sees them."""

    workload: str
    source: str
    tape: str
    retention: Retention
    zone: tzinfo
    now: datetime
    pools: Mapping[str, TapePool]
    source_points: Sequence[PointRecord]
    placements: Sequence[TapePlacement]  # this workload's points on the tape, pruned ones included


def _levels(job: GfsJob) -> dict[str, dict[str, str]]:
    """Point id -> {level: period} for the weekly/monthly/yearly reasons the retention gives it."""
    complete = [p for p in job.source_points if not p.partial]
    found: dict[str, dict[str, str]] = {}
    for verdict in apply_retention(job.retention, [(p.time, p.id) for p in complete], job.zone):
        for reason in verdict.reasons:
            level, _, period = reason.partition(" ")
            if level in GFS_LEVELS and verdict.kept:
                found.setdefault(verdict.key, {})[level] = period
    return found


def _receiver(job: GfsJob, levels: dict[str, str]) -> str | None:
    """The pool a point goes to now, or None (nothing receives its levels, or it must wait)."""
    receivers = {pool.receives: name for name, pool in job.pools.items() if pool.receives}
    current = job.now.astimezone(job.zone)
    for level in _SENIORITY:
        if level not in levels or level not in receivers:
            continue
        if _PERIOD[level](current) == levels[level]:
            return None  # the most senior level it has is still open: wait for it to close
        return receivers[level]
    return None


def pool_expired(pool: TapePool, moment: datetime, now: datetime) -> bool:
    """Expired by the pool's own retention (a duration); ``keep`` and none never are here."""
    return isinstance(pool.retention, Duration) and moment <= pool.retention.before(now)


def plan_gfs_copies(job: GfsJob) -> list[Action]:
    """One copy action per pool that receives points now, oldest points first."""
    on_tape = {p.id for p in job.placements}
    by_pool: dict[str, list[PointRecord]] = {}
    levels = _levels(job)
    for point in sorted(job.source_points, key=lambda p: (p.time, p.id)):
        pool = _receiver(job, levels.get(point.id, {}))
        if pool is None or point.id in on_tape or pool_expired(job.pools[pool], point.time, job.now):
            continue
        by_pool.setdefault(pool, []).append(point)
    return [_copy(job, pool, points) for pool, points in sorted(by_pool.items())]


def _copy(job: GfsJob, pool: str, points: list[PointRecord]) -> Action:
    level = job.pools[pool].receives
    count = f"{len(points)} {level} point{'s' if len(points) != 1 else ''}"
    return Action(kind=ActionKind.COPY, target=job.tape, workload=job.workload, source=job.source,
                  reason=Reason.GFS_ROTATION, detail=f"{count} from '{job.source}' into pool '{pool}'",
                  points=tuple(PrunedPoint(id=p.id, time=p.time) for p in points), pool=pool)


def gfs_prunes(job: GfsJob) -> list[Action]:
    """Points that leave each pool: past its retention, or beyond the policy's count for its level."""
    actions = []
    for name, pool in sorted(job.pools.items()):
        held = [p for p in job.placements if p.pool == name and not p.expired]
        pruned = _pool_prunes(pool, held, job)
        if pruned:
            actions.append(Action(
                kind=ActionKind.PRUNE, target=job.tape, workload=job.workload, reason=Reason.RETENTION,
                detail=f"{len(pruned)} of {len(held)} recovery points in pool '{name}' kept by no retention rule",
                points=tuple(sorted(pruned, key=lambda p: (p.time, p.id), reverse=True)), pool=name))
    return actions


def _pool_prunes(pool: TapePool, held: list[TapePlacement], job: GfsJob) -> list[PrunedPoint]:
    if pool.retention == "keep" or not held:
        return []
    if isinstance(pool.retention, Duration):
        rule = (f"pool retention {pool.retention}",)
        return [PrunedPoint(id=p.id, time=p.time, rules_not_keeping=rule) for p in held
                if pool_expired(pool, p.time, job.now)]
    level = pool.receives
    count = getattr(job.retention, level) if level else None
    if level is None or count is None:
        return []
    verdicts = apply_retention(Retention(**{level: count}), [(p.time, p.id) for p in held], job.zone)
    times = {p.id: p.time for p in held}
    return [PrunedPoint(id=v.key, time=times[v.key], rules_not_keeping=v.reasons) for v in verdicts if not v.kept]
