"""How long tape work takes, from load, locate and rate assumptions (pure; nothing sleeps),
and the calendar period a write belongs to. The planner and the tape engine share them.

Defaults come from the media type (:data:`bkctl.model.tape.MEDIA_TYPES`) and each can be
overridden per target (``timing:``). A write loads one cartridge per span, positions once
on each (to end of data on an appendable cartridge, after the labels on a new one) and
streams at the drive's native rate; a read loads each cartridge of the restore map once,
locates the point's first file on it and streams. Off-site cartridges add their vault's
recall lead time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from bkctl.model.tape import MEDIA_TYPES, TapeTiming

__all__ = ["Estimate", "Timing", "cartridges_needed", "estimate_read", "estimate_write", "period_of", "timing_for"]


def period_of(allocation: str, moment: datetime) -> str:
    """The calendar period a write at ``moment`` belongs to ('' for always/continue); UTC, ISO weeks."""
    if allocation == "weekly":
        year, week, _ = moment.isocalendar()
        return f"{year}-W{week:02d}"
    if allocation == "monthly":
        return f"{moment.year}-{moment.month:02d}"
    if allocation == "yearly":
        return f"{moment.year}"
    return ""


@dataclass(frozen=True)
class Timing:
    rate: float  # bytes per second
    load_seconds: float
    locate_seconds: float


def timing_for(media: str, overrides: TapeTiming | None = None) -> Timing:
    base = MEDIA_TYPES[media]
    given = overrides or TapeTiming()
    return Timing(float(given.rate or base.rate),
                  base.load_seconds if given.load_seconds is None else given.load_seconds,
                  base.locate_seconds if given.locate_seconds is None else given.locate_seconds)


@dataclass(frozen=True)
class Estimate:
    seconds: float
    cartridges: int
    loads: int
    locates: int
    recall_seconds: float = 0.0


def cartridges_needed(size: int, capacity: int, early_warning: int, free_on_first: int | None = None) -> int:
    """Cartridges a write of ``size`` bytes touches (the first may be partly used already)."""
    usable = capacity - early_warning
    first = usable if free_on_first is None else max(0, min(free_on_first, usable))
    if size <= first:
        return 1
    return 1 + math.ceil((size - first) / usable) if first else math.ceil(size / usable)


def estimate_write(timing: Timing, size: int, cartridges: int) -> Estimate:
    seconds = cartridges * (timing.load_seconds + timing.locate_seconds) + size / timing.rate
    return Estimate(seconds, cartridges, cartridges, cartridges)


def estimate_read(timing: Timing, size: int, cartridges: int, recall_seconds: float = 0.0) -> Estimate:
    seconds = cartridges * (timing.load_seconds + timing.locate_seconds) + size / timing.rate + recall_seconds
    return Estimate(seconds, cartridges, cartridges, cartridges, recall_seconds)
