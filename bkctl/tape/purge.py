"""Recycling a cartridge back to scratch, on its own (``recycle-cartridge`` in a plan).

The writer recycles lazily when it needs a cartridge; a plan may instead name the
cartridge to recycle before the write that needs it, so a reviewer sees which data
goes. Recycling keeps the volume label (file 0, with the wrapped keys) and erases
everything after it, so the cartridge is ``scratch`` again: labelled and in no media set.
It is refused unless :func:`bkctl.tape.recycling.assess` says every point on it, and
every point depending on one, has expired (WORM and ``keep`` pools never are).

Durable order: the erase on tape first, then the catalogs (its set drops it and the
points that had a part on it), then its attributes through a clean unload. A kill after
the erase leaves a dirty cartridge without a media-set label, which
:mod:`bkctl.tape.recovery` turns into a scratch cartridge no catalog lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bkctl.errors import UsageError
from bkctl.repo.crypto import MasterKey
from bkctl.tape.allocation import set_is_open
from bkctl.tape.catalog import CatalogStore, SetCatalog, place_cartridge
from bkctl.tape.changer import Changer
from bkctl.tape.labels import read_volume_label
from bkctl.tape.recovery import recover_dirty
from bkctl.tape.recycling import Expiry, PoolRule, assess

__all__ = ["recycle_to_scratch"]


def recycle_to_scratch(changer: Changer, key: MasterKey, store: CatalogStore, catalogs: dict[str, SetCatalog],
                       barcode: str, rules: Mapping[str, PoolRule], expired: Expiry, now: datetime) -> None:
    """Erase ``barcode`` after its volume label; refused (64) when it is not recyclable."""
    with changer.session():
        recover_dirty(changer, key, store, catalogs)
        _close_ended_set(changer, catalogs, barcode, rules, now)
        verdict = assess(changer.attributes(barcode), catalogs, rules, expired)
        if not verdict.recyclable:
            raise UsageError(f"cartridge {barcode} cannot be recycled: {verdict.reason}")
        with changer.loaded(barcode) as drive:
            if read_volume_label(drive) is None:
                raise UsageError(f"cartridge {barcode} has no volume label to keep")
            drive.erase()  # positioned at file 1, right after the volume label
            for changed in place_cartridge(catalogs, barcode, None, lambda _: 0):
                _store(changer, store, catalogs, changed)
            attributes = drive.attributes
            attributes.state, attributes.media_set, attributes.set_index = "scratch", None, None
            attributes.pool, attributes.catalog_digest = None, None


def _close_ended_set(changer: Changer, catalogs: Mapping[str, SetCatalog], barcode: str,
                     rules: Mapping[str, PoolRule], now: datetime) -> None:
    """The writable end of a set its pool's allocation has closed becomes ``used``, as the next write would make it.

    The plan sees a set closed when the run's write into its pool starts a new one, and may
    recycle its last cartridge before that write: e.g. when recycling a full's first
    cartridge took the whole expired chain out of the catalog and left the last one empty.
    """
    attributes = changer.attributes(barcode)
    catalog = catalogs.get(attributes.media_set or "")
    rule = rules.get(catalog.pool) if catalog is not None else None
    if catalog is None or rule is None or attributes.state != "append" or catalog.cartridges[-1:] != (barcode,):
        return
    if not set_is_open(catalog, rule, now, set()):
        attributes.state = "used"
        changer.save_attributes(attributes)


def _store(changer: Changer, store: CatalogStore, catalogs: dict[str, SetCatalog], changed: SetCatalog) -> None:
    """Keep the set's catalog without the recycled cartridge.

    The local copy now derives from the catalog on the set's newest remaining member
    (less the points that had a part on the recycled one), so that member's digest is
    the one the copy is in step with: no false "catalog out of sync" afterwards.
    """
    if not changed.cartridges:
        store.delete(changed.media_set)
        catalogs.pop(changed.media_set, None)
        return
    digests = [changer.attributes(b).catalog_digest for b in changed.cartridges]
    store.save(changed, next((d for d in reversed(digests) if d), None))
    catalogs[changed.media_set] = changed
