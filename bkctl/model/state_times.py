"""Timezone rules shared by the state models: every stored instant says which instant it is."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

__all__ = ["aware_utc", "end_of_utc_day"]


def aware_utc(value: datetime) -> datetime:
    """Naive times are refused: a point's time must say which instant it is."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("times must be timezone-aware (UTC inside bkctl)")
    return value.astimezone(UTC)


def end_of_utc_day(moment: datetime) -> datetime:
    """The next UTC midnight at or after ``moment``: the granularity of object lock dates.

    Whole days let the packs and the point document of one backup share one retain-until
    date, and let a plan compare dates that S3 echoes back exactly (it keeps seconds only).
    """
    moment = moment.astimezone(UTC)
    midnight = datetime.combine(moment.date(), time(), tzinfo=UTC)
    return midnight if midnight == moment else midnight + timedelta(days=1)
