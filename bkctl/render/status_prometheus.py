"""Status as a Prometheus textfile (node-exporter's textfile collector), exposition format 0.0.4.

Every family has its HELP and TYPE lines and its samples together; label values are
escaped; numbers are exact: counts as integers, times as seconds with their microseconds
written out (``%g`` would round a 2026 timestamp to the nearest 100 s). A sample whose
value is unknown is left out rather than written as 0: a target that could not be read
has no point count or newest time, only ``bkctl_target_up 0`` and ``bkctl_compliant 0``;
a workload never backed up has no last-success time, ``bkctl_recovery_points 0`` and
``bkctl_compliant 0``.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["StatusFacts", "render_prometheus"]


class StatusFacts(Protocol):
    """What this view reads of a status row (bkctl.operations.StatusRow has it)."""

    @property
    def workload(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def newest(self) -> datetime | None: ...
    @property
    def objective_seconds(self) -> float | None: ...
    @property
    def points(self) -> int | None: ...
    @property
    def bytes(self) -> int | None: ...
    @property
    def compliant(self) -> bool | None: ...
    @property
    def reachable(self) -> bool: ...
    @property
    def drill_seconds(self) -> float | None: ...
    @property
    def drill_time(self) -> datetime | None: ...


Number = int | float | str


@dataclass(frozen=True)
class _Family:
    name: str
    help: str
    value: Callable[[StatusFacts], Number | None]


_FAMILIES = (
    _Family("bkctl_last_success_timestamp_seconds",
            "Time of the newest complete recovery point (absent when there is none or the target cannot be read).",
            lambda r: _timestamp(r.newest) if r.newest else None),
    _Family("bkctl_recovery_points", "Recovery points of the workload in the target.", lambda r: r.points),
    _Family("bkctl_logical_size_bytes",
            "Sum of the logical sizes (bytes restored) of the workload's recovery points in the target.",
            lambda r: r.bytes),
    _Family("bkctl_rpo_seconds", "Recovery point objective: the schedule's interval.",
            lambda r: None if r.compliant is None else _seconds(r.objective_seconds)),
    _Family("bkctl_compliant", "1 when the recovery point objective is met, else 0 (unreadable target included).",
            lambda r: None if r.compliant is None else int(r.compliant)),
    _Family("bkctl_drill_seconds",
            "Measured recovery time of the newest restore drill in the target, start to verified (absent "
            "when never drilled).",
            lambda r: _seconds(r.drill_seconds)),
    _Family("bkctl_drill_timestamp_seconds", "Time of the newest restore drill in the target.",
            lambda r: _timestamp(r.drill_time) if r.drill_time else None),
)


def render_prometheus(rows: Sequence[StatusFacts]) -> str:
    """The textfile: one family after another, then ``bkctl_target_up`` per target."""
    lines: list[str] = []
    for family in _FAMILIES:
        samples = [(r, family.value(r)) for r in rows]
        lines += _header(family.name, family.help)
        lines += [f"{family.name}{_labels(workload=r.workload, target=r.target, host=r.host)} {v}"
                  for r, v in samples if v is not None]
    up: dict[str, bool] = {}
    for r in rows:
        up[r.target] = up.get(r.target, True) and r.reachable
    lines += _header("bkctl_target_up", "1 when bkctl could read the target's catalog, else 0.")
    lines += [f"bkctl_target_up{_labels(target=name)} {int(ok)}" for name, ok in sorted(up.items())]
    return "\n".join(lines) + "\n"


def _header(name: str, text: str) -> list[str]:
    escaped = text.replace("\\", "\\\\").replace("\n", "\\n")
    return [f"# HELP {name} {escaped}", f"# TYPE {name} gauge"]


def _labels(**labels: str) -> str:
    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return "{" + ",".join(f'{key}="{escape(value)}"' for key, value in labels.items()) + "}"


def _timestamp(moment: datetime) -> str:
    """Seconds since the epoch, exactly: ``1764484399.123456`` (no float rounding)."""
    seconds = calendar.timegm(moment.utctimetuple())
    return f"{seconds}.{moment.microsecond:06d}".rstrip("0").rstrip(".")


def _seconds(value: float | None) -> Number | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else repr(float(value))
