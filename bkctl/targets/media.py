"""What a target made of cartridges offers beyond the Target protocol (``bkctl tape ...``).

Declared as a protocol, as :class:`~bkctl.targets.base.KeyRing` is, so callers test
``isinstance(driver, MediaLibrary)`` and never a driver's class. The values that cross
it are the model's (:mod:`bkctl.model.tape_state`), so the CLI can read them.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from bkctl.model.tape_state import RestoreMap, ScanSummary, TapeState
from bkctl.targets.base import Target

__all__ = ["MediaLibrary", "RestoreMap", "ScanSummary"]


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
