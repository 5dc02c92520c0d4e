"""Off-site vaulting: exporting cartridges to a vault directory and importing them back.

An exported cartridge's directory moves from ``<library>/cartridges/`` to the vault's
directory (a shelf somewhere else); the slot it held becomes free. The changer refuses
to load it (:class:`~bkctl.errors.MediaOffsiteError`, exit 73), so it is never written
and a restore that needs it says which vault to recall it from. One export or import
moves at most as many cartridges as the library has mail slots, as a real import/export
station does. The directory moves first and the slot map follows; both are atomic renames.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bkctl.errors import NotFoundError
from bkctl.tape.changer import Changer
from bkctl.tape.sense import LibraryError

__all__ = ["export_cartridges", "import_cartridges"]


def export_cartridges(changer: Changer, barcodes: list[str], vault: str) -> None:
    """Move cartridges from their slots to ``vault`` (they must not be in a drive)."""
    place = changer.description.vaults.get(vault)
    if place is None:
        known = ", ".join(sorted(changer.description.vaults)) or "none are defined"
        raise NotFoundError(f"no vault '{vault}' for this library", hint=f"vaults: {known}")
    _check_batch(changer, barcodes)
    with changer.session():
        for barcode in barcodes:
            location = changer.location(barcode)
            if not location.startswith("slot"):
                raise LibraryError(f"cartridge {barcode} cannot be exported from {location}")
            _move(changer.folder(barcode), Path(place.path) / barcode)
            changer.slot_map.send_offsite(barcode, vault)
            changer.save_slots()
            _relocate(changer, barcode)


def import_cartridges(changer: Changer, barcodes: list[str]) -> None:
    """Bring cartridges back from their vaults into free slots."""
    _check_batch(changer, barcodes)
    with changer.session():
        for barcode in barcodes:
            if not changer.location(barcode).startswith("vault:"):
                raise LibraryError(f"cartridge {barcode} is not off-site ({changer.location(barcode)})")
            if None not in changer.slot_map.slots:
                raise LibraryError(f"no free slot to import {barcode}", hint="export another cartridge first")
            _move(changer.folder(barcode), changer.path / "cartridges" / barcode)
            changer.slot_map.place(barcode)
            changer.save_slots()
            _relocate(changer, barcode)


def _check_batch(changer: Changer, barcodes: list[str]) -> None:
    mail = changer.description.mail_slots
    if mail and len(barcodes) > mail:
        raise LibraryError(f"the library has {mail} mail slot(s): move at most {mail} cartridge(s) at a time")


def _move(source: Path, destination: Path) -> None:
    if destination.exists():
        raise LibraryError(f"{destination} already exists; refusing to overwrite a cartridge")
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(source, destination)


def _relocate(changer: Changer, barcode: str) -> None:
    attributes = changer.attributes(barcode)
    attributes.location = changer.location(barcode)
    changer.save_attributes(attributes)
