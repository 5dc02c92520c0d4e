"""Words and numbers shared by the report's HTML and Markdown views."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

__all__ = ["RULE_CLASSES", "rule_class", "duration", "timestamp", "money"]

RULE_CLASSES: tuple[tuple[str, str], ...] = (
    ("yearly", "kept by a yearly rule"),
    ("monthly", "kept by a monthly rule"),
    ("weekly", "kept by a weekly rule"),
    ("daily", "kept by a daily rule"),
    ("hourly", "kept by an hourly rule"),
    ("recent", "kept by last, within, newest or min_points"),
    ("prune", "kept by no rule: the next prune deletes it"),
    ("partial", "partial point"),
)
"""Legend of the timeline: a mark takes the longest-lived rule that keeps it."""


def rule_class(kept_by: Sequence[str]) -> str:
    words = {reason.split(" ", 1)[0] for reason in kept_by}
    for name in ("yearly", "monthly", "weekly", "daily", "hourly"):
        if name in words:
            return name
    return "recent" if words else "prune"


def duration(seconds: float | None) -> str:
    """``2d 3h``, ``45m``, ``12.3s``: the two largest units (seconds with a decimal when short)."""
    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "m")) if v]
    return " ".join(parts[:2])


def timestamp(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def money(value: float) -> str:
    return f"{value:.2f}" if value >= 1 else f"{value:.4f}"
