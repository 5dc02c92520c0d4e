"""``bkctl status``: per workload and target, the newest good point against its objective."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bkctl.model import TapeTarget
from bkctl.model.state import ActualState, PointRecord, TargetState
from bkctl.operations.planning import observe_all
from bkctl.planner import interval_of, next_due
from bkctl.planner.drills import newest_drill
from bkctl.planner.protection import evaluate_protection
from bkctl.workspace import Workspace


@dataclass(frozen=True)
class StatusRow:
    """One workload in one target. ``points`` and ``bytes`` are None when the target could
    not be read (unknown, not zero); ``error_code`` is then the failure's exit code."""

    workload: str
    target: str
    host: str
    newest: datetime | None
    age_seconds: float | None
    objective_seconds: float | None
    points: int | None
    bytes: int | None
    compliant: bool | None  # None: a workload this manifest does not manage (--all-hosts)
    note: str
    reachable: bool = True
    error_code: int = 0
    drill_seconds: float | None = None  # the newest restore drill in this target: measured RTO
    drill_time: datetime | None = None
    drill_ok: bool | None = None
    drill_objective_seconds: float | None = None  # the policy's RTO
    protection: str = ""  # "3-2-1-1-0: ok", or the failing letters

    @property
    def drill_breached(self) -> bool:
        """The newest drill failed, or took longer than the policy's RTO."""
        if self.drill_ok is False:
            return True
        limit, measured = self.drill_objective_seconds, self.drill_seconds
        return limit is not None and measured is not None and measured > limit

    def as_dict(self) -> dict[str, Any]:
        return {"workload": self.workload, "target": self.target, "host": self.host,
                "newest": self.newest.isoformat() if self.newest else None, "age_seconds": self.age_seconds,
                "objective_seconds": self.objective_seconds, "points": self.points, "bytes": self.bytes,
                "compliant": self.compliant, "note": self.note, "reachable": self.reachable,
                "error_code": self.error_code, "drill_seconds": self.drill_seconds,
                "drill_time": self.drill_time.isoformat() if self.drill_time else None, "drill_ok": self.drill_ok,
                "drill_objective_seconds": self.drill_objective_seconds, "drill_breached": self.drill_breached,
                "protection": self.protection}


def status(workspace: Workspace, now: datetime, *, all_hosts: bool = False) -> list[StatusRow]:
    """Per workload and target: newest good point, its age, the objective, compliant or not.

    The objective (RPO) is the schedule's interval; a point is in breach when the next
    backup was due and has not happened within one more interval (same rule as plan's
    RPO-breach warning, so CI's `status --check` and plan agree). Replicas get rows of
    their own. ``all_hosts`` adds every (host, workload) the targets' catalogs hold that
    this manifest does not manage: the central view of a vault shared by many hosts.
    """
    state = observe_all(workspace)
    rows = []
    for name, spec in sorted(workspace.manifest.workloads.items()):
        replicas = [workspace.manifest.targets[t].replica for t in spec.targets]
        for target in dict.fromkeys([*spec.targets, *(r for r in replicas if r is not None)]):
            rows.append(_with_drill_and_protection(workspace, _status_row(workspace, name, state.targets[target], now),
                                                   state, now))
        for target in _tape_copies_of(workspace, spec.targets):
            row = _status_row(workspace, name, state.targets[target], now, _gfs_objective(workspace, target))
            rows.append(_with_drill_and_protection(workspace, row, state, now))
    return rows + (_unmanaged_rows(state, rows, now) if all_hosts else [])


def _tape_copies_of(workspace: Workspace, targets: list[str]) -> list[str]:
    """Tape targets that copy from one of ``targets`` (GFS): they hold the workload's points too."""
    return sorted(name for name, spec in workspace.manifest.targets.items()
                  if isinstance(spec, TapeTarget) and spec.copy_from in targets)


def _gfs_objective(workspace: Workspace, target: str) -> timedelta:
    """A GFS tape gets the point of a week once the week is over: two periods of its most frequent level."""
    spec = workspace.manifest.targets[target]
    levels = [p.receives for p in getattr(spec, "pools", {}).values() if p.receives]
    days = min(({"weekly": 7, "monthly": 31, "yearly": 366}[level] for level in levels), default=7)
    return timedelta(days=2 * days)


def _status_row(workspace: Workspace, workload: str, observed: TargetState, now: datetime,
                objective: timedelta | None = None) -> StatusRow:
    schedule = workspace.manifest.policy_for(workload).schedule
    host = workspace.host_of(workload)
    interval = objective or interval_of(schedule, now)
    if not observed.reachable:
        return StatusRow(workload, observed.name, host, None, None, interval.total_seconds(), None, None, False,
                         f"unreachable: {observed.error}", reachable=False, error_code=observed.error_code or 1)
    points = observed.points_of(workload, host)
    newest = max((p.time for p in points if not p.partial), default=None)
    interval = objective or interval_of(schedule, newest or now)
    due = newest if objective else next_due(schedule, newest)
    if newest is None:
        compliant, note = False, "never backed up"
    else:
        compliant = due is None or now < due + interval
        note = "" if compliant else "recovery point objective breached"
    return StatusRow(workload, observed.name, host, newest, (now - newest).total_seconds() if newest else None,
                     interval.total_seconds(), len(points), sum(p.bytes for p in points), compliant, note)


def _unmanaged_rows(state: ActualState, managed: list[StatusRow], now: datetime) -> list[StatusRow]:
    """Rows for catalog entries of other hosts or workloads; no objective is known for them."""
    seen = {(r.host, r.workload, r.target) for r in managed}
    groups: dict[tuple[str, str, str], list[PointRecord]] = {}
    for target, observed in sorted(state.targets.items()):
        for point in observed.points:
            key = (point.host, point.workload, target)
            if key not in seen:
                groups.setdefault(key, []).append(point)
    rows = []
    for (host, workload, target), points in sorted(groups.items()):
        newest = max((p.time for p in points if not p.partial), default=None)
        rows.append(StatusRow(workload, target, host, newest,
                              (now - newest).total_seconds() if newest else None, None, len(points),
                              sum(p.bytes for p in points), None, "unmanaged"))
    return rows


def _with_drill_and_protection(workspace: Workspace, row: StatusRow, state: ActualState, now: datetime) -> StatusRow:
    """A status row with its target's newest drill of the workload and the workload's protection."""
    drill = workspace.manifest.policy_for(row.workload).drill
    newest = newest_drill([state.targets[row.target]], row.workload)
    verdict = evaluate_protection(workspace.manifest, state, row.workload, row.host, now)
    protection = "" if verdict is None else f"{verdict.rule}: " + (
        "met" if verdict.ok else "missing " + ", ".join(f"{x.required} {x.letter}" for x in verdict.failing()))
    return replace(row, drill_objective_seconds=drill.rto.fixed().total_seconds() if drill else None,
                   drill_seconds=newest.result.seconds if newest else None, drill_time=newest.time if newest else None,
                   drill_ok=newest.result.ok if newest else None, protection=protection)


