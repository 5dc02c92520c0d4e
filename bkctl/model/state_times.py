"""Timezone rules shared by the state models: every stored instant says which instant it is."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["aware_utc"]


def aware_utc(value: datetime) -> datetime:
    """Naive times are refused: a point's time must say which instant it is."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("times must be timezone-aware (UTC inside bkctl)")
    return value.astimezone(UTC)
