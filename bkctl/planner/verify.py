"""Scheduled integrity checks: one verify per target, at the tightest policy's pace."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bkctl.model.plan import Action, ActionKind, Reason
from bkctl.model.policy import Policy
from bkctl.planner.schedule import tolerance
from bkctl.planner.wording import format_age, format_time

__all__ = ["plan_verify"]


def plan_verify(
    target: str, policies: Sequence[Policy], last_verified: datetime | None, now: datetime
) -> Action | None:
    """Verify when any policy used on the target asks for it and its interval has passed.

    The shortest interval and the largest ``read_data`` share win: the target is checked
    as often and as deeply as its most demanding workload needs.
    """
    schedules = [p.verify for p in policies if p.verify is not None]
    if not schedules:
        return None
    interval = min(s.every.fixed() for s in schedules)
    read_data = max(s.read_data for s in schedules)
    if last_verified is not None and now < last_verified + interval - tolerance(interval):
        return None
    when = (
        "never verified"
        if last_verified is None
        else f"last verified {format_time(last_verified)}, {format_age(now - last_verified)} ago"
    )
    return Action(
        kind=ActionKind.VERIFY,
        target=target,
        reason=Reason.VERIFY_DUE,
        detail=f"{when}; every {format_age(interval)}; read {read_data:g}% of data",
        read_data=read_data,
    )
