"""A tape library opened with its passphrase: the one object a tape target driver needs.

:class:`TapeLibrary` joins the changer (mechanics, no secrets), the library key and the
local catalog, and offers the use cases: write points from a repository, list them, say
which cartridges a restore needs, copy a point back into a repository, rebuild the
catalog from the cartridges, export and import cartridges, and assess recycling.
:func:`library_status` needs no passphrase (slots, drives, states, locations).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bkctl.errors import NotFoundError, RepositoryLockedError
from bkctl.model.state import PointRecord
from bkctl.repo.crypto import MasterKey
from bkctl.repo.keys import KdfParams
from bkctl.repo.points import PointInfo
from bkctl.repo.repository import Repository
from bkctl.secrets import Secret
from bkctl.tape.attributes import MediumAttributes
from bkctl.tape.catalog import CatalogPoint, CatalogStore, SetCatalog, keep_members
from bkctl.tape.changer import Changer
from bkctl.tape.description import LibraryDescription
from bkctl.tape.expired import add_expired, keep_expired, load_expired
from bkctl.tape.keyring import (
    create_library_key,
    library_key_objects,
    restore_key_documents,
    unlock,
    unlock_documents,
)
from bkctl.tape.labels import read_volume_label
from bkctl.tape.positions import last_catalog
from bkctl.tape.purge import recycle_to_scratch
from bkctl.tape.reader import MediaNeed, TapeVerifyResult, copy_to_repository, restore_map, verify_point
from bkctl.tape.recovery import recover_dirty
from bkctl.tape.recycling import PoolRule, Recyclability, assess, expiry_rule
from bkctl.tape.scan import ScanResult, scan_cartridges
from bkctl.tape.setwriter import label_blank
from bkctl.tape.vaulting import export_cartridges, import_cartridges
from bkctl.tape.writer import PointWriter

__all__ = ["LibraryStatus", "TapeLibrary", "library_status"]


@dataclass(frozen=True)
class LibraryStatus:
    description: LibraryDescription
    slots: list[str | None]
    drives: list[str | None]
    mail_slots: list[str | None]
    cartridges: list[MediumAttributes]  # location filled from the slot map


def library_status(path: Path) -> LibraryStatus:
    """What ``bkctl tape status`` shows; reads only plain files (no passphrase)."""
    changer = Changer.open(path)
    cartridges = []
    for barcode in changer.barcodes():
        attributes = changer.attributes(barcode)
        attributes.location = changer.location(barcode)
        cartridges.append(attributes)
    slots = changer.slot_map
    return LibraryStatus(changer.description, list(slots.slots), list(slots.drives), list(slots.mail_slots),
                         cartridges)


class TapeLibrary:
    def __init__(self, changer: Changer, key: MasterKey, *, recheck: bool = True) -> None:
        """Opening re-checks cartridges a dead process left dirty (unless another process holds the
        library); ``recheck=False`` only reads (what a plan's observation does)."""
        self.changer = changer
        self.store = CatalogStore(changer.path, key)
        self.catalogs = self.store.load_all()
        self._key = key
        if recheck:
            with suppress(RepositoryLockedError):
                self.recheck_dirty()

    def recheck_dirty(self) -> list[str]:
        """See :func:`bkctl.tape.recovery.recover_dirty`."""
        return recover_dirty(self.changer, self._key, self.store, self.catalogs)

    @classmethod
    def ensure(cls, path: Path, description: LibraryDescription, passphrase: Secret,
               kdf: KdfParams | None = None) -> TapeLibrary:
        """Open the library at ``path``, creating (or growing) it and its key as described."""
        changer = Changer.ensure(path, description)
        if not library_key_objects(path):
            create_library_key(path, passphrase, kdf)
        return cls.open(path, passphrase, changer)

    @classmethod
    def open(cls, path: Path, passphrase: Secret, changer: Changer | None = None, *,
             recheck: bool = True) -> TapeLibrary:
        changer = changer or Changer.open(path)
        return cls(changer, unlock(path, passphrase), recheck=recheck)

    @classmethod
    def recover_keys(cls, path: Path, passphrase: Secret) -> TapeLibrary:
        """Open a library whose ``keys/`` is lost, with the keys from a cartridge label.

        Every label carries the wrapped keys, so the passphrase alone is enough; follow
        with :meth:`scan` when the catalog is lost too.
        """
        changer = Changer.open(path)
        with changer.session():
            for barcode in changer.barcodes():
                if changer.location(barcode).startswith("vault:") or changer.attributes(barcode).state == "blank":
                    continue
                with changer.loaded(barcode) as drive:
                    label = read_volume_label(drive)
                if label is not None:
                    unlock_documents(label.keys, passphrase, f"{path} (label of {barcode})")
                    restore_key_documents(path, label.keys)
                    return cls.open(path, passphrase, changer)
        raise NotFoundError(f"no labelled cartridge in {path} to recover the keys from")

    @property
    def chunker_seed(self) -> int:
        """The library key's chunker seed: what direct backups chunk with (stable between runs)."""
        return self._key.chunker_seed

    # -- points -------------------------------------------------------------------------
    def points(self) -> list[tuple[SetCatalog, CatalogPoint]]:
        """Every point on tape with its media set, oldest first."""
        found = [(c, p) for c in self.catalogs.values() for p in c.points]
        return sorted(found, key=lambda item: (item[1].time, item[1].id, item[0].pool))

    def writer(self, rules: Mapping[str, PoolRule], now: datetime,
               expired_ids: frozenset[str] = frozenset()) -> PointWriter:
        """A writer for one run; call ``write(repository, point_id, pool)`` per point."""
        return PointWriter(self.changer, self._key, self.store, rules, now, expiry_rule(rules, now, expired_ids),
                           catalogs=self.catalogs)

    def point_records(self) -> list[PointRecord]:
        """The points as the planner's actual state lists them (a point in several pools once)."""
        records: dict[str, PointRecord] = {}
        for _, point in self.points():
            document = point.document
            records.setdefault(point.id, PointRecord(id=point.id, workload=point.workload, host=document["host"],
                                                     time=point.time, partial=bool(document["partial"]),
                                                     bytes=point.stored_bytes))
        return list(records.values())

    def verify(self, point_id: str) -> TapeVerifyResult:
        return verify_point(self.changer, self._key, self.catalogs, point_id)

    def restore_map(self, point_id: str) -> list[MediaNeed]:
        return restore_map(self.changer, self.catalogs, point_id)

    def copy_to_repository(self, point_id: str, destination: Repository, *,
                           compression: int | None = 3) -> PointInfo:
        return copy_to_repository(self.changer, self._key, self.catalogs, point_id, destination,
                                  compression=compression)

    # -- catalog --------------------------------------------------------------------------
    def scan(self, *, full: bool = False) -> ScanResult:
        """Rebuild the local catalog from the cartridges (see :mod:`bkctl.tape.scan`)."""
        result = scan_cartridges(self.changer, self._key, full=full)
        keep = {m for m, c in self.catalogs.items() if any(b in result.skipped for b in c.cartridges)}
        for media_set in set(self.catalogs) - set(result.catalogs) - keep:
            self.store.delete(media_set)
        for scan in result.cartridges:
            if scan.catalog is not None:
                self.store.tape_digests[scan.catalog.media_set] = scan.catalog.digest()
        for catalog in result.catalogs.values():
            self.store.save(catalog)
        self._relabel_attributes(result)
        self.catalogs = self.store.load_all()
        return result

    def _relabel_attributes(self, result: ScanResult) -> None:
        """Attributes follow the labels found on tape."""
        for scan in result.cartridges:
            attributes = self.changer.attributes(scan.barcode)
            label = scan.set_label
            wanted = (label.media_set, label.index, label.pool) if label else (None, None, None)
            if (attributes.media_set, attributes.set_index, attributes.pool) != wanted:
                attributes.media_set, attributes.set_index, attributes.pool = wanted
                attributes.state = "used" if label else ("scratch" if scan.labelled else "blank")
                self.changer.save_attributes(attributes)

    def out_of_sync(self) -> list[str]:
        """Media sets whose newest catalog on tape is not the one the local copy was made from."""
        stale = []
        for media_set, catalog in self.catalogs.items():
            digests = [self.changer.attributes(b).catalog_digest for b in catalog.cartridges]
            newest = next((d for d in reversed(digests) if d), None)
            if newest is not None and newest != self.store.tape_digests.get(media_set):
                stale.append(media_set)
        return sorted(stale)

    def sync(self) -> list[str]:
        """Take the newer catalog from tape for every out-of-sync set (a few blocks each)."""
        stale = self.out_of_sync()
        with self.changer.session():
            for media_set in stale:
                catalog = self.catalogs[media_set]
                holder = next(b for b in reversed(catalog.cartridges) if self.changer.attributes(b).catalog_digest)
                with self.changer.loaded(holder) as drive:
                    on_tape = last_catalog(drive, self._key)
                if on_tape is not None and on_tape.media_set == media_set:
                    self.store.save(keep_members(on_tape, list(catalog.cartridges)), on_tape.digest())
        self.catalogs = self.store.load_all()
        return stale

    # -- cartridges -----------------------------------------------------------------------
    def label(self, barcodes: list[str], now: datetime) -> list[str]:
        """Label blank cartridges (they become scratch); returns those labelled."""
        done = []
        with self.changer.session():
            for barcode in barcodes:
                if self.changer.attributes(barcode).state == "blank":
                    with self.changer.loaded(barcode) as drive:
                        label_blank(self.changer, drive, now.isoformat())
                    done.append(barcode)
        return done

    def export(self, barcodes: list[str], vault: str) -> None:
        export_cartridges(self.changer, barcodes, vault)

    def import_(self, barcodes: list[str]) -> None:
        import_cartridges(self.changer, barcodes)

    def recycle(self, barcode: str, rules: Mapping[str, PoolRule], now: datetime,
                expired_ids: frozenset[str] = frozenset()) -> None:
        """Erase an expired cartridge back to scratch (see :mod:`bkctl.tape.purge`)."""
        recycle_to_scratch(self.changer, self._key, self.store, self.catalogs, barcode, rules,
                           expiry_rule(rules, now, expired_ids | self.expired_ids()), now)

    # -- pruned points --------------------------------------------------------------------
    def expired_ids(self) -> frozenset[str]:
        """Points pruned from the catalog (see :mod:`bkctl.tape.expired`)."""
        return load_expired(self.changer.path)

    def expire(self, ids: list[str]) -> frozenset[str]:
        return add_expired(self.changer.path, ids)

    def forget_recycled(self) -> int:
        """Drop pruned ids whose cartridges were recycled (no catalog lists them); returns how many."""
        return keep_expired(self.changer.path, {point.id for _, point in self.points()})

    def recyclability(self, rules: Mapping[str, PoolRule], now: datetime,
                      expired_ids: frozenset[str] = frozenset()) -> list[Recyclability]:
        expired = expiry_rule(rules, now, expired_ids)
        return [assess(self.changer.attributes(b), self.catalogs, rules, expired) for b in self.changer.barcodes()]
