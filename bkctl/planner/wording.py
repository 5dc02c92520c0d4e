"""Stable wording shared by plan details and warnings (golden files pin it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["format_age", "format_time"]


def format_age(span: timedelta) -> str:
    """``2d 3h``, ``9h``, ``15m``, ``40s``: the two largest units, enough to judge."""
    seconds = max(int(span.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")) if v]
    return " ".join(parts[:2]) or "0s"


def format_time(moment: datetime) -> str:
    """``2026-11-24 08:00 UTC``: minutes are the resolution people plan in."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
