"""The library directory and its robot: cartridges, slots, drives; load and unload.

Layout of ``<library>/``:

* ``library.json``: the :class:`LibraryDescription`;
* ``slots.json``: the :class:`SlotMap` (where every cartridge is);
* ``cartridges/<barcode>/``: ``data``, ``blocks`` (see :mod:`bkctl.tape.blockfile``) and
  ``attributes.json`` (see :mod:`bkctl.tape.attributes`);
* ``keys/``, ``catalog/``: the passphrase-wrapped keys and the local catalog;
* ``lock``: held (flock) by the one process using the library.

Exported cartridges live in their vault's directory (``<vault>/<barcode>/``), where
``load`` refuses them. A process that dies with cartridges in drives leaves them marked
dirty; the next session returns them to their slots and the next load of each cuts off
its torn tail.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bkctl.errors import MediaOffsiteError, NotFoundError, RepositoryLockedError
from bkctl.tape.attributes import MediumAttributes, load_attributes, save_attributes
from bkctl.tape.blockfile import BlockFile
from bkctl.tape.description import LibraryDescription, block_size_for, early_warning_for
from bkctl.tape.drive import Drive
from bkctl.tape.durable import read_json, write_json
from bkctl.tape.slots import SlotMap

__all__ = ["Changer"]

_log = logging.getLogger("bkctl")


class Changer:
    """An opened library directory. Loads and unloads need :meth:`session` (the lock)."""

    def __init__(self, path: Path, description: LibraryDescription, slot_map: SlotMap) -> None:
        self.path = path
        self.description = description
        self.slot_map = slot_map
        self._lock_depth = 0
        self._lock_handle: int | None = None

    # -- creation -------------------------------------------------------------------------
    @classmethod
    def exists(cls, path: Path) -> bool:
        return (path / "library.json").is_file()

    @classmethod
    def open(cls, path: Path) -> Changer:
        try:
            description = LibraryDescription.from_json(read_json(path / "library.json"))
            slot_map = SlotMap.from_json(read_json(path / "slots.json"))
        except FileNotFoundError:
            raise NotFoundError(f"no tape library in {path}", hint="run `bkctl apply` to create it") from None
        return cls(path, description, slot_map)

    @classmethod
    def ensure(cls, path: Path, wanted: LibraryDescription) -> Changer:
        """Open the library at ``path``, creating it or growing it to ``wanted``."""
        if cls.exists(path):
            changer = cls.open(path)
        else:
            path.mkdir(parents=True, exist_ok=True)
            changer = cls(path, wanted, SlotMap.empty(wanted.slots, wanted.drives, wanted.mail_slots))
            changer.save_slots()
        with changer.session():  # the slot map must not change under another process's feet
            changer._grow(wanted)
        return changer

    def grow(self, wanted: LibraryDescription) -> None:
        """Add what ``wanted`` adds (cartridges, drives, slots; vault paths follow it); never shrinks."""
        with self.session():
            self._grow(wanted)

    def _grow(self, wanted: LibraryDescription) -> None:
        kept = self.description
        self.description = LibraryDescription(
            media=kept.media, capacity=wanted.capacity, drives=max(kept.drives, wanted.drives),
            slots=max(kept.slots, wanted.slots), mail_slots=wanted.mail_slots,
            cartridges=max(kept.cartridges, wanted.cartridges),
            worm_cartridges=max(kept.worm_cartridges, wanted.worm_cartridges), vaults=wanted.vaults,
            barcode_prefix=kept.barcode_prefix, id=kept.id, created=kept.created)
        self.slot_map.grow(self.description.slots, self.description.drives, self.description.mail_slots)
        known = set(self.slot_map.barcodes())
        for barcode, worm in self.description.barcodes():
            if barcode not in known:
                self._make_cartridge(barcode, worm)
        write_json(self.path / "library.json", self.description.to_json())
        self.save_slots()

    def _make_cartridge(self, barcode: str, worm: bool) -> None:
        folder = self.path / "cartridges" / barcode
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("data", "blocks"):
            (folder / name).touch()
        self.slot_map.place(barcode)
        attributes = MediumAttributes(barcode, worm=worm, capacity=self.description.capacity,
                                      location=self.slot_map.location(barcode))
        save_attributes(folder, attributes)

    # -- cartridges -----------------------------------------------------------------------
    def barcodes(self) -> list[str]:
        return self.slot_map.barcodes()

    def location(self, barcode: str) -> str:
        return self.slot_map.location(barcode)

    def folder(self, barcode: str) -> Path:
        vault = self.slot_map.offsite.get(barcode)
        if vault is not None:
            return Path(self.description.vaults[vault].path) / barcode
        self.slot_map.location(barcode)  # unknown barcodes raise here
        return self.path / "cartridges" / barcode

    def attributes(self, barcode: str) -> MediumAttributes:
        return load_attributes(self.folder(barcode))

    def save_attributes(self, attributes: MediumAttributes) -> None:
        save_attributes(self.folder(attributes.barcode), attributes)

    def save_slots(self) -> None:
        write_json(self.path / "slots.json", self.slot_map.to_json())

    # -- the lock -------------------------------------------------------------------------
    @contextmanager
    def session(self) -> Iterator[Changer]:
        """Hold the library for this process; re-entrant. Recovers drives left by a dead process."""
        if self._lock_depth == 0:
            self._acquire()
        self._lock_depth += 1
        try:
            yield self
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0 and self._lock_handle is not None:
                os.close(self._lock_handle)
                self._lock_handle = None

    def _acquire(self) -> None:
        handle = os.open(self.path / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise RepositoryLockedError(f"tape library {self.path} is in use by another process",
                                        hint="wait for it to finish") from None
        self._lock_handle = handle
        self.slot_map = SlotMap.from_json(read_json(self.path / "slots.json"))
        for barcode in [b for b in self.slot_map.drives if b]:
            _log.warning("cartridge %s was left in a drive by a process that died; returned to its slot", barcode)
            self.slot_map.dismount(barcode)
            attributes = self.attributes(barcode)
            attributes.location = self.slot_map.location(barcode)
            self.save_attributes(attributes)
        self.save_slots()

    # -- drives ---------------------------------------------------------------------------
    def load(self, barcode: str) -> Drive:
        """Load a cartridge into a free drive (dirty ones have their torn tail cut off first)."""
        if self._lock_depth == 0:
            raise RuntimeError("Changer.load needs an open session()")
        location = self.location(barcode)
        if location.startswith("vault:"):
            vault = location.removeprefix("vault:")
            raise MediaOffsiteError(f"cartridge {barcode} is off-site in vault '{vault}'", barcodes=(barcode,),
                                    vaults=(vault,), hint=f"import it: bkctl tape import {barcode}")
        attributes = self.attributes(barcode)
        check_from = attributes.synced_records if attributes.dirty else None
        medium = BlockFile(self.folder(barcode), check_data_from=check_from)
        if medium.torn:
            _log.warning("cartridge %s: cut off %d torn record(s) left by an interrupted write", barcode, medium.torn)
        number = self.slot_map.mount(barcode)
        self.save_slots()
        attributes.loads += 1
        attributes.dirty = True
        attributes.synced_records = len(medium.records)
        attributes.location = self.location(barcode)
        self.save_attributes(attributes)
        capacity = attributes.capacity or self.description.capacity
        return Drive(number, medium, attributes, capacity, early_warning_for(capacity))

    def unload(self, drive: Drive) -> None:
        drive.release()
        self.slot_map.dismount(drive.barcode)
        self.save_slots()
        drive.attributes.dirty = False
        drive.attributes.location = self.location(drive.barcode)
        self.save_attributes(drive.attributes)

    @contextmanager
    def loaded(self, barcode: str) -> Iterator[Drive]:
        """A loaded drive, unloaded on exit (also after an error)."""
        drive = self.load(barcode)
        try:
            yield drive
        finally:
            self.unload(drive)

    def used_bytes(self, barcode: str) -> int:
        """Bytes up to end of data (the data file's size; a torn tail is cut at the next load)."""
        return (self.folder(barcode) / "data").stat().st_size

    def block_size(self, barcode: str) -> int:
        attributes = self.attributes(barcode)
        return block_size_for(attributes.capacity or self.description.capacity)
