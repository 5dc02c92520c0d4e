"""Run records: what one apply did in one target, kept inside the target itself.

Apply appends one record per target it touched (what ran, the outcome, how long, how many
bytes), so history travels with the backups: ``bkctl report`` works from any machine that
has the manifest and the passphrase, not only the one that ran the jobs. Drills record
their measured recovery time here too; the planner reads the newest drill of each
workload from these records to know when the next one is due.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, field_validator

from bkctl.model.state_times import aware_utc

__all__ = ["DrillResult", "RunStep", "RunRecord", "RUN_RECORD_VERSION"]

RUN_RECORD_VERSION = 1


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DrillResult(_Frozen):
    """One restore drill: which point, how long from start to verified, what was checked."""

    point: str
    point_time: datetime
    seconds: float
    objective_seconds: float | None = None
    checks: tuple[str, ...] = ()
    ok: bool = True

    _utc = field_validator("point_time")(aware_utc)

    @property
    def breached(self) -> bool:
        """Failed, or slower than the objective it was measured against."""
        return not self.ok or (self.objective_seconds is not None and self.seconds > self.objective_seconds)


class RunStep(_Frozen):
    """One action of a run, as it ended."""

    kind: str
    workload: str | None = None
    ok: bool
    message: str = ""
    seconds: float = 0.0
    bytes: int = 0
    stored_bytes: int = 0
    point: str = ""
    drill: DrillResult | None = None


class RunRecord(_Frozen):
    """One apply (or on-demand backup or drill) in one target."""

    id: str
    time: datetime
    host: str
    target: str
    seconds: float
    steps: tuple[RunStep, ...] = ()

    _utc = field_validator("time")(aware_utc)

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)
