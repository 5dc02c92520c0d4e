"""Durations and sizes: the one place where ``15min``, ``6mo``, ``99y`` and ``1.5TB`` are parsed.

Durations keep calendar parts (years, months) separate from fixed ones, because
"keep within 1y" means a calendar year (as in ``restic forget --keep-within``), while a
schedule interval ``every: 8h`` is a fixed span. Minutes are ``min`` and months ``mo``; a
bare ``m`` is refused because it means minutes in Go and Kubernetes but months in restic
(``1y5m``) and borg (``1m``), and in a backup tool reading one for the other deletes data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

__all__ = ["Duration", "parse_duration", "parse_size", "format_size", "DURATION_PATTERN", "MAX_DURATION",
           "SIZE_PATTERN"]

_UNITS: dict[str, str] = {
    "s": "seconds",
    "min": "minutes",
    "h": "hours",
    "d": "days",
    "w": "weeks",
    "mo": "months",
    "y": "years",
}
_PART = re.compile(r"(\d+)(min|mo|[shdwy])")
_WHOLE = re.compile(r"^(?:\d+(?:min|mo|[shdwy]))+$")
_WITH_BARE_M = re.compile(r"^(?:\d+(?:min|mo|m|[shdwy]))+$")
_BARE_M = re.compile(r"(\d+)m(?!in|o)")
DURATION_PATTERN = r"^([0-9]+(min|mo|[shdwy]))+$"
MAX_DURATION = timedelta(days=1000 * 365)
"""Longest duration accepted (1000 years): retention of a century fits, overflow does not."""
_ACCEPTED = "e.g. 30s, 15min, 8h, 7d, 2w, 6mo, 99y or 1h30min (units: s, min, h, d, w, mo, y)"


@dataclass(frozen=True, order=True)
class Duration:
    """A span such as ``8h`` or ``1y6mo``; calendar parts are applied with calendar rules."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    def fixed(self) -> timedelta:
        """The fixed part, plus calendar parts approximated (year = 365 d, month = 30 d)."""
        return timedelta(
            days=self.years * 365 + self.months * 30 + self.weeks * 7 + self.days,
            hours=self.hours,
            minutes=self.minutes,
            seconds=self.seconds,
        )

    def before(self, moment: datetime) -> datetime:
        """``moment`` minus this duration, subtracting years and months on the calendar."""
        months = moment.year * 12 + (moment.month - 1) - (self.years * 12 + self.months)
        year, month = divmod(months, 12)
        day = min(moment.day, _days_in_month(year, month + 1))
        shifted = moment.replace(year=year, month=month + 1, day=day)
        return shifted - timedelta(
            weeks=self.weeks,
            days=self.days,
            hours=self.hours,
            minutes=self.minutes,
            seconds=self.seconds,
        )

    def __str__(self) -> str:
        parts = []
        for suffix, attr in (("y", "years"), ("mo", "months"), ("w", "weeks"), ("d", "days"),
                             ("h", "hours"), ("min", "minutes"), ("s", "seconds")):
            value = getattr(self, attr)
            if value:
                parts.append(f"{value}{suffix}")
        return "".join(parts) or "0s"


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (datetime(year, month + 1, 1) - datetime(year, month, 1)).days


def parse_duration(text: str) -> Duration:
    """Parse ``15min``, ``8h``, ``7d``, ``2w``, ``6mo``, ``99y`` or a sum like ``1d12h``.

    Raises ValueError with the accepted forms, which the manifest loader shows verbatim; a
    bare ``m`` gets its own message naming both readings, e.g. ``6min`` and ``6mo``.
    """
    if isinstance(text, Duration):
        return text
    if not isinstance(text, str):
        raise ValueError(f"a duration must be a string like '8h' or '7d', not {text!r}")
    compact = text.strip().lower().replace(" ", "")
    if not _WHOLE.match(compact):
        if _WITH_BARE_M.match(compact):
            minutes, months = _BARE_M.sub(r"\1min", compact), _BARE_M.sub(r"\1mo", compact)
            raise ValueError(f"ambiguous duration {text!r}: 'm' could mean minutes or months; "
                             f"write '{minutes}' for minutes or '{months}' for months")
        raise ValueError(f"invalid duration {_shown(text)}: use a number and a unit, {_ACCEPTED}")
    values: dict[str, int] = {}
    for number, unit in _PART.findall(compact):
        if len(number) > 12:  # longer than MAX_DURATION in any unit; int() itself stops at 4,300 digits
            raise ValueError(f"invalid duration {_shown(text)}: longer than 1000 years")
        field = _UNITS[unit]
        values[field] = values.get(field, 0) + int(number)
    duration = Duration(**values)
    span = _bounded_span(duration)
    if span is None:
        raise ValueError(f"invalid duration {_shown(text)}: longer than 1000 years")
    if span <= timedelta(0):
        raise ValueError(f"invalid duration {_shown(text)}: must be longer than zero")
    return duration


def _bounded_span(duration: Duration) -> timedelta | None:
    """``duration.fixed()``, or None past MAX_DURATION (where timedelta would overflow)."""
    seconds = ((duration.years * 365 + duration.months * 30 + duration.weeks * 7 + duration.days) * 86400
               + duration.hours * 3600 + duration.minutes * 60 + duration.seconds)
    return duration.fixed() if seconds <= MAX_DURATION.total_seconds() else None


def _shown(text: str) -> str:
    """``repr`` of a value for a message, cut to 40 characters."""
    return repr(text) if len(text) <= 40 else repr(text[:37]) + "..."


_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgtpe]?i?b?)$", re.IGNORECASE)
_SIZE_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}
MAX_SIZE = 2**63 - 1
SIZE_PATTERN = r"^\d+(\.\d+)?\s*([kKmMgGtTpPeE]i?)?[bB]?$"


def parse_size(value: Any) -> int:
    """Parse ``512MiB`` (binary), ``1.5TB`` (decimal) or a plain byte count into bytes."""
    if isinstance(value, bool):
        raise ValueError("a size must be a number of bytes or a string like '512MiB'")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a size cannot be negative")
        return _bounded_size(value, str(value))
    if not isinstance(value, str):
        raise ValueError(f"a size must be a string like '512MiB' or '1.5TB', not {value!r}")
    match = _SIZE.match(value.strip())
    if not match:
        raise ValueError(
            f"invalid size {_shown(value)}: use e.g. 512MiB, 1.5TB, 800GB, 4096 "
            "(KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB powers of 1024)"
        )
    number, unit = match.groups()
    unit = unit.lower()
    base = 1024 if "i" in unit else 1000
    power = _SIZE_POWERS[unit[:1] if unit[:1] in _SIZE_POWERS else ""]
    return _bounded_size(float(number) * base**power, value)


def _bounded_size(count: float, text: str) -> int:
    """Sizes past 8 EiB (2^63 bytes) are typos, and a 400-digit one would overflow a float."""
    if not math.isfinite(count) or count > MAX_SIZE:
        raise ValueError(f"invalid size {_shown(text)}: larger than 8 EiB")
    return int(count)


def format_size(count: float) -> str:
    """Human size in binary units (``1.5 GiB``), for reports."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(round(count, 1)) < 1024 or unit == "PiB":  # 1023.96 KiB is 1.0 MiB, never "1024.0 KiB"
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} PiB"
