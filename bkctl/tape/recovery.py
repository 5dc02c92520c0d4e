"""Re-checking cartridges a dead process left dirty (mhVTL's crash marker, followed through).

A cartridge is dirty from its load to its clean unload. One still dirty when no process
holds the library was in a drive when its process died: its torn tail is cut off at the
load (see :mod:`bkctl.tape.blockfile`), and here its labels and last catalog are read so
that its attributes and the local catalog follow the tape: membership from the
media-set label (the old set of a recycled cartridge drops it), and the set's catalog
from tape when it knows points the local copy missed. Reading costs a few blocks per
dirty cartridge, and after a crash there is one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bkctl.repo.crypto import MasterKey
from bkctl.tape.attributes import MediumAttributes
from bkctl.tape.catalog import CatalogStore, SetCatalog, newer_on_tape, place_cartridge
from bkctl.tape.changer import Changer
from bkctl.tape.drive import Drive
from bkctl.tape.labels import MediaSetLabel, read_set_label, read_volume_label
from bkctl.tape.positions import last_catalog

__all__ = ["recover_dirty"]

_log = logging.getLogger("bkctl")


def recover_dirty(changer: Changer, key: MasterKey, store: CatalogStore, catalogs: dict[str, SetCatalog]) -> list[str]:
    """Repair what every dirty cartridge's process left half done; returns their barcodes."""
    recovered = []
    with changer.session():
        for barcode in changer.barcodes():
            if changer.location(barcode).startswith("vault:") or not changer.attributes(barcode).dirty:
                continue
            with changer.loaded(barcode) as drive:
                _recover(changer, key, store, catalogs, drive)
            _log.warning("cartridge %s was left dirty by an interrupted run; re-checked from its labels", barcode)
            recovered.append(barcode)
    return recovered


def _recover(changer: Changer, key: MasterKey, store: CatalogStore, catalogs: dict[str, SetCatalog],
             drive: Drive) -> None:
    attributes = drive.attributes
    labelled = read_volume_label(drive) is not None
    label = read_set_label(drive, key) if labelled else None
    on_tape = last_catalog(drive, key) if label else None
    target = None
    if label is not None:
        target = catalogs.get(label.media_set) or SetCatalog(label.media_set, label.pool, label.allocation,
                                                              label.created, label.period)
    rejoined = label is not None and attributes.media_set == label.media_set and attributes.set_index != label.index
    for changed in place_cartridge(catalogs, drive.barcode, target, _indexes(changer, target, drive.barcode, label),
                                   rejoin=rejoined):
        _store(store, catalogs, changed)
    if label is not None and on_tape is not None and on_tape.media_set == label.media_set:
        adopted = newer_on_tape(catalogs[label.media_set], on_tape)
        if adopted is not None:
            _store(store, catalogs, adopted, on_tape.digest())
    _follow_labels(attributes, labelled, label, drive.early_warning)
    attributes.catalog_digest = on_tape.digest() if on_tape is not None else None


def _indexes(changer: Changer, target: SetCatalog | None, barcode: str,
             label: MediaSetLabel | None) -> Callable[[str], int]:
    found = {b: changer.attributes(b).set_index or 0 for b in (target.cartridges if target else ())}
    found[barcode] = label.index if label else 0
    return found.__getitem__


def _follow_labels(attributes: MediumAttributes, labelled: bool, label: MediaSetLabel | None,
                   early_warning: bool) -> None:
    if label is None:
        attributes.state = "scratch" if labelled else "blank"
        attributes.media_set = attributes.set_index = attributes.pool = None
        return
    same = (attributes.media_set, attributes.set_index) == (label.media_set, label.index)
    if not (same and attributes.state in ("full", "used")):
        attributes.state = "full" if early_warning else "append"
    attributes.media_set, attributes.set_index, attributes.pool = label.media_set, label.index, label.pool


def _store(store: CatalogStore, catalogs: dict[str, SetCatalog], catalog: SetCatalog,
           tape_digest: str | None = None) -> None:
    if catalog.cartridges:
        store.save(catalog, tape_digest)
        catalogs[catalog.media_set] = catalog
    else:
        store.delete(catalog.media_set)
        catalogs.pop(catalog.media_set, None)
