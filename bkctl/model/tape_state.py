"""What a tape library holds, as observed once before planning (pure data, no engine types).

The planner may not import the tape engine, so the tape driver translates the library
into these values: every cartridge with its state and location, the media sets of every
pool, and where each recovery point lies (pool, media set, cartridges). From them the
planner predicts which cartridge a write takes, which cartridges may be recycled, and
what the coming months need. ``bkctl tape status`` prints the same values.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, field_validator

__all__ = ["CartridgeNeed", "RestoreMap", "ScanSummary", "TapeCartridge", "TapeMediaSet", "TapePlacement", "TapeState"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("times must be timezone-aware (UTC inside bkctl)")
    return value.astimezone(UTC)


class TapeCartridge(_Frozen):
    """One cartridge: the plain facts of its memory chip and where it is.

    ``used`` is the bytes up to end of data (what the next write appends after);
    ``location`` is ``slot N``, ``drive N`` or ``vault:NAME``.
    """

    barcode: str
    worm: bool = False
    state: str = "blank"
    location: str = ""
    media_set: str | None = None
    set_index: int | None = None
    pool: str | None = None
    capacity: int = 0
    used: int = 0
    loads: int = 0
    dirty: bool = False
    write_protected: bool = False
    last_written: datetime | None = None

    _times = field_validator("last_written")(_utc)

    @property
    def offsite(self) -> bool:
        return self.location.startswith("vault:")

    @property
    def vault(self) -> str | None:
        return self.location.removeprefix("vault:") if self.offsite else None


class TapeMediaSet(_Frozen):
    """A media set: the cartridges of one pool written as one sequence, in set order."""

    id: str
    pool: str
    allocation: str
    period: str = ""
    created: datetime
    cartridges: tuple[str, ...] = ()

    _times = field_validator("created")(_utc)


class TapePlacement(_Frozen):
    """Where one recovery point lies on tape; ``expired`` once pruned from the catalog.

    An expired point stays on its cartridges until they are recycled (Bareos's "pruned"
    job records on a volume not yet purged); it is no longer listed or restored.
    """

    id: str
    workload: str
    host: str
    time: datetime
    pool: str
    media_set: str
    cartridges: tuple[str, ...]
    base: str | None = None
    stored_bytes: int = 0
    expired: bool = False

    _times = field_validator("time")(_utc)


class CartridgeNeed(_Frozen):
    """One cartridge a restore reads, where it is, and how long recalling it takes."""

    barcode: str
    location: str
    recall_seconds: int = 0

    @property
    def offsite(self) -> bool:
        return self.location.startswith("vault:")


class TapeState(_Frozen):
    """A whole library: slot map, cartridges, media sets, point placements, catalog health.

    ``out_of_sync`` names media sets whose newest cartridge holds a newer catalog than
    the local copy (a run was killed between the two writes).
    """

    media: str
    capacity: int
    early_warning: int
    slots: tuple[str | None, ...] = ()
    drives: tuple[str | None, ...] = ()
    mail_slots: tuple[str | None, ...] = ()
    vaults: dict[str, int] = {}  # vault name -> recall lead time in seconds
    cartridges: tuple[TapeCartridge, ...] = ()
    media_sets: tuple[TapeMediaSet, ...] = ()
    placements: tuple[TapePlacement, ...] = ()
    out_of_sync: tuple[str, ...] = ()

    def cartridge(self, barcode: str) -> TapeCartridge | None:
        return next((c for c in self.cartridges if c.barcode == barcode), None)

    def placement(self, point_id: str) -> TapePlacement | None:
        return next((p for p in self.placements if p.id == point_id), None)

    def digest(self) -> str:
        """Every cartridge's state and place, and which points are pruned: what a saved plan's
        cartridge actions depend on beyond the points themselves."""
        digest = hashlib.sha256()
        for cartridge in self.cartridges:
            digest.update(f"{cartridge.barcode}\t{cartridge.state}\t{cartridge.location}\t"
                          f"{cartridge.media_set}\n".encode())
        for placement in self.placements:
            digest.update(f"{placement.id}\t{int(placement.expired)}\n".encode())
        return digest.hexdigest()


@dataclass(frozen=True)
class RestoreMap:
    """The cartridges a restore reads, in order, each once, and how long it should take."""

    point: str
    needs: tuple[CartridgeNeed, ...]
    bytes: int
    estimate_seconds: float

    @property
    def offsite(self) -> tuple[CartridgeNeed, ...]:
        return tuple(n for n in self.needs if n.offsite)


@dataclass(frozen=True)
class ScanSummary:
    """What ``tape scan`` rebuilt: media sets and points, cartridges read and skipped."""

    media_sets: int
    points: int
    cartridges_read: int
    blocks_read: int
    skipped: tuple[str, ...]
