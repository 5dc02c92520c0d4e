"""Policies: how often backups run (schedule) and how long recovery points are kept."""

from __future__ import annotations

from typing import Literal, Self

from croniter import croniter
from pydantic import field_validator, model_validator

from bkctl.model.base import Strict, described
from bkctl.model.fields import DurationField

__all__ = ["Schedule", "Retention", "VerifySchedule", "DrillSchedule", "Policy", "MAX_YEARLY"]

MAX_YEARLY = 99  # Azure Backup's limit for yearly recovery points


class Schedule(Strict):
    """Exactly one of ``every``, ``per_day`` or ``cron``."""

    every: DurationField | None = described(
        "Back up when the newest recovery point is older than this interval.", "8h", default=None
    )
    per_day: int | None = described(
        "Number of evenly spaced backups per day (3 means every 8 hours).",
        3,
        default=None,
        ge=1,
        le=1440,
    )
    cron: str | None = described(
        "A five-field cron expression; a backup is due once per scheduled slot.",
        "0 */8 * * *",
        default=None,
    )
    timezone: str | None = described(
        "IANA time zone for cron slots and retention periods (UTC when absent).",
        "Europe/Paris",
        default=None,
    )

    @field_validator("cron")
    @classmethod
    def _cron_is_valid(cls, value: str | None) -> str | None:
        if value is not None and not croniter.is_valid(value):
            raise ValueError(f"invalid cron expression {value!r} (five fields, e.g. '0 */8 * * *')")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone_is_known(cls, value: str | None) -> str | None:
        if value is not None:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r} (IANA names like 'Europe/Paris')") from None
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        chosen = [k for k in ("every", "per_day", "cron") if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError(
                "a schedule needs exactly one of 'every', 'per_day' or 'cron'"
                + (f" (found {', '.join(chosen)})" if chosen else "")
            )
        return self


class Retention(Strict):
    """Which recovery points are kept; a point kept by any rule is kept (restic semantics)."""

    last: int | None = described("Keep the N newest recovery points.", 7, default=None, ge=1)
    within: DurationField | None = described(
        "Keep every recovery point younger than this, measured from the newest point.",
        "7d",
        default=None,
    )
    hourly: int | None = described("Keep the newest point of each of the last N hours.", 24, default=None, ge=1)
    daily: int | None = described("Keep the newest point of each of the last N days.", 30, default=None, ge=1)
    weekly: int | None = described("Keep the newest point of each of the last N ISO weeks.", 12, default=None, ge=1)
    monthly: int | None = described("Keep the newest point of each of the last N months.", 12, default=None, ge=1)
    yearly: int | None = described(
        f"Keep the newest point of each of the last N years (at most {MAX_YEARLY}).",
        10,
        default=None,
        ge=1,
        le=MAX_YEARLY,
    )
    min_points: int = described(
        "Safety floor: never prune below this many points, whatever the rules say.", 1, default=1, ge=1
    )

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        rules = ("last", "within", "hourly", "daily", "weekly", "monthly", "yearly")
        if all(getattr(self, r) is None for r in rules):
            raise ValueError(
                "retention keeps nothing: set at least one of last, within, hourly, daily, "
                "weekly, monthly, yearly"
            )
        return self


class VerifySchedule(Strict):
    """Periodic integrity checks of a target's repository."""

    every: DurationField = described("How often to verify.", "7d")
    read_data: float = described(
        "Percentage of stored data to read back and authenticate on each run.",
        5.0,
        default=0.0,
        ge=0.0,
        le=100.0,
    )


class DrillSchedule(Strict):
    """Restore drills: restore a point into scratch space, check it, and measure the time (RTO).

    A drill proves a point restores, not only that its bytes authenticate (that is
    ``verify``): files are compared with the point's own tree, a SQLite copy passes
    ``PRAGMA integrity_check``, a database dump is loaded into a temporary database.
    """

    every: DurationField = described("How often a drill is due for each workload using this policy.", "30d")
    rto: DurationField = described(
        "Recovery time objective: a drill slower than this (start to verified) is a breach.", "1h"
    )
    pick: Literal["latest", "random"] = described(
        "Which recovery point to drill: the newest good one, or one chosen at random among the good "
        "ones (reproducibly from the plan's time).",
        "latest",
        default="latest",
    )


class Policy(Strict):
    """Schedule plus retention, referenced by name from workloads."""

    description: str = described("What the policy is for.", "Three backups a day, kept 10 years", default="")
    schedule: Schedule = described("How often backups run.", {"every": "8h"})
    retention: Retention = described("How long recovery points are kept.", {"daily": 30})
    verify: VerifySchedule | None = described(
        "Optional periodic verification of the targets used with this policy.",
        {"every": "7d", "read_data": 5},
        default=None,
    )
    drill: DrillSchedule | None = described(
        "Optional restore drills that measure the recovery time (RTO) of workloads using this policy.",
        {"every": "30d", "rto": "1h", "pick": "latest"},
        default=None,
    )
