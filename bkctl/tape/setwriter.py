"""Writing files onto the cartridges of one media set, continuing on another at early warning.

:class:`SetWriter` prepares the cartridge the allocator chose (labels a blank one, joins a
scratch or recycled one to the set with a media-set label naming the cartridge before it,
or positions an appendable one after its last complete catalog), writes documents and
blocks, and closes a cartridge with the set's catalog. Order of durable writes, so a kill
at any moment leaves a state the next run understands: tape first (each file closed by a
synced filemark), then the local catalog, then the cartridge's attributes. A recycled
cartridge's old set drops it once its new media-set label is on tape. From load to clean
unload a cartridge is marked dirty, so after a kill :mod:`bkctl.tape.recovery` re-reads
its labels and last catalog and makes attributes and catalogs follow the tape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bkctl.repo.crypto import MasterKey
from bkctl.tape.allocation import Choice
from bkctl.tape.catalog import CatalogStore, SetCatalog, newer_on_tape, place_cartridge
from bkctl.tape.changer import Changer
from bkctl.tape.documents import seal_document, write_document
from bkctl.tape.drive import Drive
from bkctl.tape.keyring import key_documents
from bkctl.tape.labels import MediaSetLabel, VolumeLabel, write_set_label, write_volume_label
from bkctl.tape.positions import last_catalog

__all__ = ["SetWriter", "label_blank"]

_log = logging.getLogger("bkctl")


class SetWriter:
    def __init__(self, changer: Changer, key: MasterKey, store: CatalogStore, catalogs: dict[str, SetCatalog],
                 media_set: SetCatalog, choose: Callable[[SetCatalog], Choice], now: datetime) -> None:
        self.changer = changer
        self.key = key
        self.store = store
        self.catalogs = catalogs
        self.catalog = media_set
        self._choose = choose
        self.now_text = now.isoformat()
        self.drive: Drive | None = None

    @property
    def loaded(self) -> Drive:
        if self.drive is None:
            raise RuntimeError("no cartridge loaded")
        return self.drive

    def block_size(self) -> int:
        return self.changer.block_size(self.loaded.barcode)

    # -- getting a cartridge ready ----------------------------------------------------
    def open(self, continues: str | None) -> Choice:
        """Load the chosen cartridge and leave it where the next file goes.

        From the load on the cartridge is dirty until its clean unload, so a kill at any
        step below is repaired by :func:`bkctl.tape.recovery.recover_dirty` from its labels.
        """
        choice = self._choose(self.catalog)
        self.drive = self.changer.load(choice.barcode)
        if choice.action == "label":
            label_blank(self.changer, self.drive, self.now_text)
        if choice.action == "append":
            self._adopt(last_catalog(self.drive, self.key))
        else:
            self._join(continues)
        return choice

    def _join(self, continues: str | None) -> None:
        """Media-set label on tape, then the catalogs (the old set of a recycled one too), then attributes."""
        drive = self.loaded
        members = [self.changer.attributes(b) for b in self.catalog.cartridges if b != drive.barcode]
        index = max((a.set_index or 0 for a in members), default=-1) + 1
        c = self.catalog
        label = MediaSetLabel(c.media_set, c.pool, c.allocation, c.created, c.period, index,
                              members[-1].barcode if members else None, continues)
        write_set_label(drive, self.key, label, self.block_size())
        indexes = {a.barcode: a.set_index or 0 for a in members} | {drive.barcode: index}
        for changed in place_cartridge(self.catalogs, drive.barcode, c, indexes.__getitem__, rejoin=True):
            self._store(changed)
        drive.attributes.state, drive.attributes.media_set = "append", c.media_set
        drive.attributes.set_index, drive.attributes.pool = index, c.pool
        drive.attributes.catalog_digest = None
        self.changer.save_attributes(drive.attributes)

    def _adopt(self, on_tape: SetCatalog | None) -> None:
        """The tape's catalog wins over the local one when it knows more (see :func:`newer_on_tape`)."""
        if on_tape is None or on_tape.media_set != self.catalog.media_set:
            return
        adopted = newer_on_tape(self.catalog, on_tape)
        if adopted is not None:
            _log.warning("catalog of media set %s was behind cartridge %s; updated from the tape",
                         self.catalog.media_set[:8], self.loaded.barcode)
            self._store(adopted, on_tape.digest())

    def _store(self, catalog: SetCatalog, tape_digest: str | None = None) -> None:
        if catalog.media_set == self.catalog.media_set:
            self.catalog = catalog
        if catalog.cartridges:
            self.store.save(catalog, tape_digest)
            self.catalogs[catalog.media_set] = catalog
        else:
            self.store.delete(catalog.media_set)
            self.catalogs.pop(catalog.media_set, None)

    # -- writing ----------------------------------------------------------------------
    def write_document(self, kind: str, body: Any) -> int:
        return write_document(self.loaded, seal_document(self.key, kind, body), self.block_size())

    def close(self, catalog: SetCatalog) -> None:
        """Write ``catalog`` as the cartridge's last file, keep it locally, then unload (clean)."""
        drive = self.loaded
        self.write_document("catalog", catalog.to_json())
        self._store(catalog, catalog.digest())
        drive.attributes.catalog_digest = catalog.digest()
        drive.attributes.last_written = self.now_text
        drive.attributes.state = "full" if drive.early_warning else "append"
        self.changer.unload(drive)
        self.drive = None


def label_blank(changer: Changer, drive: Drive, now: str) -> None:
    """Write the volume label (with the library's wrapped keys); the cartridge becomes scratch."""
    label = VolumeLabel(drive.barcode, changer.description.id, drive.attributes.worm, now,
                        key_documents(changer.path))
    write_volume_label(drive, label, changer.block_size(drive.barcode))
    drive.attributes.state, drive.attributes.labelled = "scratch", now
    changer.save_attributes(drive.attributes)
