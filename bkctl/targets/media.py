"""What a target made of cartridges offers beyond the Target protocol (``bkctl tape ...``).

Declared as a protocol, as :class:`~bkctl.targets.base.KeyRing` is, so callers test
``isinstance(driver, MediaLibrary)`` and never a driver's class. The values that cross
it are the model's (:class:`~bkctl.model.tape_state.TapeState`, ``CartridgeNeed``) or the
small result types below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bkctl.model.tape_state import CartridgeNeed, TapeState
from bkctl.targets.base import Target

__all__ = ["MediaLibrary", "RestoreMap", "ScanSummary"]


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


@runtime_checkable
class MediaLibrary(Protocol):
    def library_state(self) -> TapeState:
        """Slots, drives, mail slots and every cartridge (points too when the passphrase opens it)."""
        ...

    def label(self, barcodes: list[str] | None) -> list[str]:
        """Label blank cartridges (all of them when None); returns those labelled."""
        ...

    def scan(self, *, full: bool) -> ScanSummary: ...

    def export(self, barcodes: list[str], vault: str) -> list[str]: ...

    def import_(self, barcodes: list[str]) -> list[str]: ...

    def recycle(self, barcode: str, expired: list[str]) -> None:
        """Erase an expired cartridge back to scratch; ``expired`` are points pruned with it."""
        ...

    def restore_map(self, point_id: str) -> RestoreMap: ...

    def into_pool(self, pool: str) -> Target:
        """The same target, writing copies it receives into ``pool``."""
        ...
