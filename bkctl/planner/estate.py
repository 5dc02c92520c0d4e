"""The report's data from (manifest, actual state, plan, now): pure, sorted, reproducible.

Rows follow ``bkctl status`` (workload, then its targets and their replicas); the RPO rule
is the status rule (a point is late once the next backup was due and one more interval
passed). Timelines give each point the retention rules that keep it today; storage
series add up the points a target holds, oldest first; failures are the failed steps of
the newest runs the targets recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bkctl.model.manifest import Manifest
from bkctl.model.plan import Plan
from bkctl.model.report import (
    Failure,
    Report,
    ReportRow,
    StorageSample,
    StorageSeries,
    Summary,
    Timeline,
    TimelineMark,
)
from bkctl.model.state import ActualState, PointRecord, TargetState
from bkctl.planner.drills import newest_drill
from bkctl.planner.protection import evaluate_protection
from bkctl.planner.retention import apply_retention
from bkctl.planner.schedule import interval_of, next_due, zone_of

__all__ = ["build_report", "FAILURES_SHOWN"]

FAILURES_SHOWN = 20


def build_report(manifest: Manifest, state: ActualState, plan: Plan, now: datetime,
                 owners: Mapping[str, str]) -> Report:
    """Everything the report shows; ``owners`` maps each workload to the host owning its points."""
    pairs = [(w, t) for w in sorted(owners) for t in _targets_of(manifest, w)]
    rows = tuple(_row(manifest, state.targets.get(t), w, t, owners[w], now) for w, t in pairs)
    verdicts = tuple(v for w in sorted(owners) if (v := evaluate_protection(manifest, state, w, owners[w], now)))
    timelines = tuple(_timeline(manifest, state.targets[t], w, t, owners[w], now) for w, t in pairs
                      if t in state.targets and state.targets[t].reachable)
    unreachable = tuple(sorted(n for n, t in state.targets.items() if not t.reachable))
    summary = Summary(workloads=len(owners), rows=len(rows), compliant=_count(rows, "compliant"),
                      breached=_count(rows, "breached"), never_backed_up=_count(rows, "never-backed-up"),
                      unreachable_targets=unreachable, drills_breached=sum(r.drill_breached for r in rows),
                      protection_failing=sum(not v.ok for v in verdicts))
    return Report(now=now, host=state.host, summary=summary, rows=rows, protection=verdicts, timelines=timelines,
                  storage=tuple(_storage(t) for _, t in sorted(state.targets.items()) if t.reachable),
                  failures=_failures(state), plan=plan)


def _count(rows: tuple[ReportRow, ...], status: str) -> int:
    return sum(row.status == status for row in rows)


def _targets_of(manifest: Manifest, workload: str) -> list[str]:
    direct = manifest.workloads[workload].targets
    replicas = [manifest.targets[t].replica for t in direct]
    return list(dict.fromkeys([*direct, *(r for r in replicas if r is not None)]))


def _mine(observed: TargetState, workload: str, owner: str) -> list[PointRecord]:
    return sorted(observed.points_of(workload, owner),
                  key=lambda p: (p.time, p.id))


def _row(manifest: Manifest, observed: TargetState | None, workload: str, target: str, owner: str,
         now: datetime) -> ReportRow:
    policy = manifest.policy_for(workload)
    rto = policy.drill.rto.fixed().total_seconds() if policy.drill else None
    rpo = interval_of(policy.schedule, now).total_seconds()
    if observed is None or not observed.reachable:
        return ReportRow(workload=workload, target=target, status="unreachable", rpo_seconds=rpo, rto_seconds=rto)
    points = _mine(observed, workload, owner)
    good = [p for p in points if not p.partial]
    drill = newest_drill([observed], workload)
    base = ReportRow(workload=workload, target=target, status="never-backed-up", rpo_seconds=rpo,
                     points=len(points), rto_seconds=rto, drill_time=drill.time if drill else None,
                     drill_seconds=drill.result.seconds if drill else None,
                     drill_ok=drill.result.ok if drill else None)
    if not good:
        return base
    newest = good[-1]
    interval = interval_of(policy.schedule, newest.time)
    due = next_due(policy.schedule, newest.time)
    late = due is not None and now >= due + interval
    return base.model_copy(update={"status": "breached" if late else "compliant", "newest": newest.time,
                                   "newest_id": newest.id, "age_seconds": (now - newest.time).total_seconds(),
                                   "rpo_seconds": interval.total_seconds()})


def _timeline(manifest: Manifest, observed: TargetState, workload: str, target: str, owner: str,
              now: datetime) -> Timeline:
    policy = manifest.policy_for(workload)
    sources = [t for t in manifest.workloads[workload].targets if manifest.targets[t].replica == target]
    override = manifest.targets[sources[0]].replica_policy if sources and target not in \
        manifest.workloads[workload].targets else None
    retention = manifest.policies[override].retention if override else policy.retention
    points = _mine(observed, workload, owner)
    verdicts = {v.key: v for v in apply_retention(retention, [(p.time, p.id) for p in points if not p.partial],
                                                  zone_of(policy.schedule))}
    marks = tuple(TimelineMark(id=p.id, time=p.time, partial=p.partial,
                               kept_by=verdicts[p.id].reasons if p.id in verdicts and verdicts[p.id].kept else ())
                  for p in points)
    return Timeline(workload=workload, target=target, marks=marks)


def _storage(observed: TargetState) -> StorageSeries:
    samples, stored, logical = [], 0, 0
    for point in sorted(observed.points, key=lambda p: (p.time, p.id)):
        stored += point.stored_bytes
        logical += point.bytes
        samples.append(StorageSample(time=point.time, stored_bytes=stored, logical_bytes=logical))
    return StorageSeries(target=observed.name, samples=tuple(samples))


def _failures(state: ActualState) -> tuple[Failure, ...]:
    found = [Failure(time=record.time, target=name, kind=step.kind, workload=step.workload, message=step.message)
             for name, observed in sorted(state.targets.items()) for record in observed.runs
             for step in record.steps if not step.ok]
    found.sort(key=lambda f: (f.time, f.target, f.kind, f.workload or ""), reverse=True)
    return tuple(found[:FAILURES_SHOWN])
