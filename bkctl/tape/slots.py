"""The slot map: which cartridge sits in which storage slot, drive or mail slot, or off-site.

A cartridge keeps its home slot while it is in a drive (it returns there on unload, as
in most changers' default). An exported cartridge gives its slot up and is listed under
``offsite`` with its vault; an import puts it in the first free slot. ``slots.json`` is
the truth for locations; the location in each cartridge's attributes is a copy for
people reading the directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bkctl.tape.sense import LibraryError, NoSuchCartridgeError

__all__ = ["SlotMap"]


@dataclass
class SlotMap:
    slots: list[str | None]
    drives: list[str | None]
    mail_slots: list[str | None]
    offsite: dict[str, str] = field(default_factory=dict)

    @classmethod
    def empty(cls, slots: int, drives: int, mail_slots: int) -> SlotMap:
        return cls([None] * slots, [None] * drives, [None] * mail_slots)

    def barcodes(self) -> list[str]:
        """Every cartridge the library knows, in the library or off-site, sorted."""
        return sorted({b for b in self.slots if b} | set(self.offsite))

    def location(self, barcode: str) -> str:
        """``drive N``, ``slot N``, ``mail slot N`` (numbered from 1 as changers do) or ``vault:NAME``."""
        for kind, places in (("drive", self.drives), ("slot", self.slots), ("mail slot", self.mail_slots)):
            if barcode in places:
                return f"{kind} {places.index(barcode) + (0 if kind == 'drive' else 1)}"
        if barcode in self.offsite:
            return f"vault:{self.offsite[barcode]}"
        raise NoSuchCartridgeError(f"no cartridge {barcode} in this library")

    def place(self, barcode: str) -> None:
        """Put a cartridge into the first free storage slot."""
        if None not in self.slots:
            raise LibraryError(f"no free slot for cartridge {barcode}", hint="export a cartridge or add slots")
        self.slots[self.slots.index(None)] = barcode
        self.offsite.pop(barcode, None)

    def mount(self, barcode: str) -> int:
        """Move a cartridge from its slot into the first free drive; returns the drive number."""
        if barcode in self.drives:
            raise LibraryError(f"cartridge {barcode} is already in drive {self.drives.index(barcode)}")
        if barcode not in self.slots:
            raise LibraryError(f"cartridge {barcode} is not in a slot ({self.location(barcode)})")
        if None not in self.drives:
            raise LibraryError(f"no free drive to load {barcode}", hint="unload a cartridge first")
        drive = self.drives.index(None)
        self.drives[drive] = barcode
        return drive

    def dismount(self, barcode: str) -> None:
        self.drives = [None if b == barcode else b for b in self.drives]

    def send_offsite(self, barcode: str, vault: str) -> None:
        self.slots = [None if b == barcode else b for b in self.slots]
        self.offsite[barcode] = vault

    def grow(self, slots: int, drives: int, mail_slots: int) -> None:
        """More slots, drives or mail slots (a library never shrinks under its cartridges)."""
        self.slots += [None] * (slots - len(self.slots))
        self.drives += [None] * (drives - len(self.drives))
        self.mail_slots += [None] * (mail_slots - len(self.mail_slots))

    def to_json(self) -> dict[str, Any]:
        return {"slots": self.slots, "drives": self.drives, "mail_slots": self.mail_slots,
                "offsite": dict(sorted(self.offsite.items()))}

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> SlotMap:
        return cls(list(document["slots"]), list(document["drives"]), list(document["mail_slots"]),
                   dict(document["offsite"]))
