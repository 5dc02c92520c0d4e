"""What a library is made of: media, capacity, early warning, drives, slots, vaults.

``library.json`` holds it. It is derived from the manifest's tape target (see
:func:`describe`) and may grow (more cartridges, drives, vaults) but a cartridge, once
made, keeps the capacity recorded in its own attributes.

Early warning: mhVTL signals it 2 MiB before the end of a cartridge. Small test
cartridges scale it to an eighth of their capacity (and blocks to 1/64) so that the
catalog written in the warning zone always fits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bkctl.model.tape import MEDIA_TYPES
from bkctl.model.target import TapeTarget

__all__ = ["BLOCK_SIZE", "LibraryDescription", "VaultPlace", "block_size_for", "describe", "early_warning_for"]

BLOCK_SIZE = 256 << 10  # Proxmox Backup Server's tape block size; LTO streams well from 64 KiB up
_EARLY_WARNING = 2 << 20  # mhVTL


def early_warning_for(capacity: int) -> int:
    return min(_EARLY_WARNING, capacity // 8)


def block_size_for(capacity: int) -> int:
    return min(BLOCK_SIZE, capacity // 64)


@dataclass(frozen=True)
class VaultPlace:
    """An off-site vault: a directory and how long a recall takes."""

    name: str
    path: str
    recall_seconds: int


@dataclass(frozen=True)
class LibraryDescription:
    media: str
    capacity: int
    drives: int
    slots: int
    mail_slots: int
    cartridges: int
    worm_cartridges: int = 0
    vaults: dict[str, VaultPlace] = field(default_factory=dict)
    barcode_prefix: str = "BK"
    id: str = field(default_factory=lambda: secrets.token_hex(16))
    created: str = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0).isoformat())

    def barcodes(self) -> list[tuple[str, bool]]:
        """Every barcode with its WORM flag: data cartridges from 0001, WORM ones from 9001.

        Separate ranges keep existing barcodes stable when either count grows.
        """
        media = MEDIA_TYPES[self.media]
        data = self.cartridges - self.worm_cartridges
        return [(f"{self.barcode_prefix}{n:04d}{media.data_suffix}", False) for n in range(1, data + 1)] + [
            (f"{self.barcode_prefix}{9000 + n:04d}{media.worm_suffix}", True)
            for n in range(1, self.worm_cartridges + 1)
        ]

    def to_json(self) -> dict[str, Any]:
        """The stored form; early warning and block size are derived, written for people reading it."""
        return {
            "format": "bkctl-tape-library", "version": 1, "id": self.id, "created": self.created,
            "media": self.media, "capacity": self.capacity, "early_warning": early_warning_for(self.capacity),
            "block_size": block_size_for(self.capacity), "drives": self.drives, "slots": self.slots,
            "mail_slots": self.mail_slots, "cartridges": self.cartridges,
            "worm_cartridges": self.worm_cartridges, "barcode_prefix": self.barcode_prefix,
            "vaults": {n: {"path": v.path, "recall_seconds": v.recall_seconds} for n, v in self.vaults.items()},
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> LibraryDescription:
        vaults = {n: VaultPlace(n, v["path"], int(v["recall_seconds"])) for n, v in document["vaults"].items()}
        return cls(media=document["media"], capacity=int(document["capacity"]), drives=int(document["drives"]),
                   slots=int(document["slots"]), mail_slots=int(document["mail_slots"]),
                   cartridges=int(document["cartridges"]), worm_cartridges=int(document["worm_cartridges"]),
                   vaults=vaults, barcode_prefix=document["barcode_prefix"], id=document["id"],
                   created=document["created"])


def describe(target: TapeTarget, vault_paths: dict[str, str]) -> LibraryDescription:
    """The description a manifest's tape target asks for; ``vault_paths`` are the resolved paths."""
    vaults = {name: VaultPlace(name, vault_paths.get(name, vault.path), int(vault.recall.fixed().total_seconds()))
              for name, vault in target.vaults.items()}
    return LibraryDescription(
        media=target.media, capacity=target.capacity(), drives=target.drives,
        slots=target.slots or target.cartridges, mail_slots=target.mail_slots, cartridges=target.cartridges,
        worm_cartridges=target.worm_cartridges, vaults=vaults,
    )
