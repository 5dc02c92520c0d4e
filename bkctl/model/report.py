"""The estate at a glance, as data: what ``bkctl report`` renders as HTML, Markdown or JSON.

Built purely from (manifest, actual state, plan, now) by bkctl/planner/estate.py; every
list is sorted, and the only time in it is ``now``, so the same estate gives the same
report byte for byte (the golden tests rely on it).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from bkctl.model.plan import Plan
from bkctl.model.protection import ProtectionVerdict

__all__ = ["REPORT_FORMAT_VERSION", "Summary", "ReportRow", "TimelineMark", "Timeline", "StorageSample",
           "StorageSeries", "Failure", "Report"]

REPORT_FORMAT_VERSION = 1


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Summary(_Frozen):
    """Counts over the (workload, target) rows, and the targets that could not be read."""

    workloads: int
    rows: int
    compliant: int
    breached: int
    never_backed_up: int
    unreachable_targets: tuple[str, ...] = ()
    drills_breached: int = 0
    protection_failing: int = 0


class ReportRow(_Frozen):
    """One workload in one target: its newest good point against the RPO, its last drill against the RTO."""

    workload: str
    target: str
    status: str  # compliant, breached, never-backed-up, unreachable
    newest: datetime | None = None
    newest_id: str = ""
    age_seconds: float | None = None
    rpo_seconds: float
    points: int = 0
    drill_time: datetime | None = None
    drill_seconds: float | None = None
    drill_ok: bool | None = None
    rto_seconds: float | None = None

    @property
    def drill_breached(self) -> bool:
        if self.drill_ok is False:
            return True
        measured, objective = self.drill_seconds, self.rto_seconds
        return measured is not None and objective is not None and measured > objective


class TimelineMark(_Frozen):
    id: str
    time: datetime
    kept_by: tuple[str, ...]
    partial: bool = False


class Timeline(_Frozen):
    """A workload's recovery points in one target, each with the retention rules that keep it."""

    workload: str
    target: str
    marks: tuple[TimelineMark, ...]


class StorageSample(_Frozen):
    time: datetime
    stored_bytes: int
    logical_bytes: int


class StorageSeries(_Frozen):
    """Cumulative bytes of the points a target holds, at each point's time: stored (after dedup and
    compression) against logical (what restoring every point would write)."""

    target: str
    samples: tuple[StorageSample, ...]


class Failure(_Frozen):
    """A failed step of a recent run, from the targets' run records."""

    time: datetime
    target: str
    kind: str
    workload: str | None = None
    message: str


class Report(_Frozen):
    format_version: int = REPORT_FORMAT_VERSION
    now: datetime
    host: str
    summary: Summary
    rows: tuple[ReportRow, ...]
    protection: tuple[ProtectionVerdict, ...] = ()
    timelines: tuple[Timeline, ...] = ()
    storage: tuple[StorageSeries, ...] = ()
    failures: tuple[Failure, ...] = ()
    plan: Plan
