"""``bkctl policy simulate``: what a policy keeps of a made-up history of points."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bkctl.model.policy import Policy
from bkctl.model.units import Duration
from bkctl.planner.retention import apply_retention
from bkctl.planner.schedule import zone_of

__all__ = ["simulate_policy", "generate_points"]


def simulate_policy(
    policy: Policy, points: Sequence[datetime]
) -> list[tuple[datetime, bool, tuple[str, ...]]]:
    """``(time, kept, reasons)`` newest first; for pruned points, the rules not keeping them.

    Uses the very retention code the planner uses, so a simulation cannot drift from
    what ``apply`` would prune.
    """
    keyed = [(moment, f"{index:08d}") for index, moment in enumerate(points)]
    verdicts = apply_retention(policy.retention, keyed, zone_of(policy.schedule))
    return [(v.time, v.kept, v.reasons) for v in verdicts]


def generate_points(
    start: datetime, every: Duration | timedelta, span: Duration | timedelta
) -> list[datetime]:
    """Points from ``start`` every ``every`` up to ``start + span`` (inclusive), oldest first."""
    step = every.fixed() if isinstance(every, Duration) else every
    length = span.fixed() if isinstance(span, Duration) else span
    if step <= timedelta(0):
        raise ValueError("the interval between points must be longer than zero")
    count = int(length / step) + 1
    return [start + step * index for index in range(count)]
