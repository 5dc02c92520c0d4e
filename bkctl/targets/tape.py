"""The tape target: an emulated tape library (bkctl/tape/) behind the Target protocol.

Points on tape are self-contained and never a chunk store, so both ways go through an
ordinary repository (see :mod:`bkctl.targets.tape_staging`): a backup is saved into a
staging repository and written to tape from it; a restore copies the point from tape into
one, reading each needed cartridge once and in order, and runs the existing restorer. A
copy from a disk or vault target (``copy_from``, GFS) arrives through
:meth:`TapeDriver.receive_points`, into the pool the plan chose (:meth:`into_pool`).

Tape cannot delete one point: ``delete_points`` prunes points from the catalog (they are
no longer listed or restored; see :mod:`bkctl.tape.expired`) and their cartridges are
recycled, lazily, when a write needs one. ``reclaim`` therefore frees nothing: it forgets
pruned points whose cartridges were recycled and counts the cartridges now recyclable.

The library is opened once per run; observing it only reads (a cartridge a dead process
left dirty stays marked for the plan to warn about) and the first write grows it to the
manifest's description and re-checks dirty cartridges.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from bkctl.archiver import Progress, save
from bkctl.errors import BkctlError, NotFoundError, RepositoryNotFoundError, UsageError
from bkctl.model.state import PointRecord, TargetState, fingerprint_points
from bkctl.model.tape_state import TapeState
from bkctl.model.target import TapeTarget
from bkctl.repo import Repository
from bkctl.restorer import restore_point, restore_stream
from bkctl.secrets import Secret
from bkctl.tape import Changer, TapeLibrary, describe, pool_rules, require_onsite, timing_for
from bkctl.tape.catalog import CatalogPoint
from bkctl.tape.durable import read_json, write_json
from bkctl.tape.keyring import library_key_objects
from bkctl.targets.base import (
    BackupJob,
    CopyDestination,
    CopyResult,
    ReclaimResult,
    RestoreResult,
    Target,
    VerifyResult,
)
from bkctl.targets.media import RestoreMap, ScanSummary
from bkctl.targets.tape_staging import staging_repository, sweep
from bkctl.targets.tape_state import library_frame, point_records, record_of, tape_state
from bkctl.targets.tape_upkeep import CartridgeReclaim, mail_slot_batches, restore_map_of, scan_summary, verify_share

__all__ = ["TapeDriver"]

VERIFY_MARKER = "verified.json"


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class TapeDriver:
    """A Target, a CopyDestination and a MediaLibrary over one library directory."""

    def __init__(self, name: str, spec: TapeTarget, path: Path, vault_paths: dict[str, str],
                 passphrase: Secret | None, *, passphrase_error: BkctlError | None = None,
                 clock: Callable[[], datetime] = _wall_clock, pool: str | None = None) -> None:
        self.name = name
        self.spec = spec
        self.path = path
        self.vault_paths = vault_paths
        self._passphrase = passphrase
        self._passphrase_error = passphrase_error
        self._clock = clock
        self._pool = pool or spec.pool
        self._rules = pool_rules(spec)
        self._library: TapeLibrary | None = None
        self._grown = False

    # -- lifecycle ---------------------------------------------------------------------
    def _secret(self) -> Secret:
        if self._passphrase is None:
            raise self._passphrase_error or BkctlError(f"target '{self.name}' has no passphrase")
        return self._passphrase

    def _open(self) -> TapeLibrary:
        """The library, read-only so far (no dirty re-check: observing changes nothing)."""
        if self._library is None:
            if not Changer.exists(self.path):
                raise RepositoryNotFoundError(f"target '{self.name}' holds no tape library ({self.path})",
                                              hint="run `bkctl apply` to create it")
            self._library = TapeLibrary.open(self.path, self._secret(), recheck=False)
        return self._library

    def _writable(self) -> TapeLibrary:
        """The library grown to the manifest's description, with dirty cartridges re-checked."""
        library = self._open()
        if not self._grown:
            library.changer.grow(describe(self.spec, self.vault_paths))
            sweep(self.path)
            library.recheck_dirty()
            self._grown = True
        return library

    def init(self) -> None:
        """Create the library and its key (idempotent; an existing library is grown, never shrunk).

        A library whose ``keys/`` is lost while cartridges are labelled is refused: a new
        key would leave those cartridges unreadable; ``bkctl tape scan`` recovers the old one.
        """
        if Changer.exists(self.path) and not library_key_objects(self.path):
            changer = Changer.open(self.path)
            if any(changer.attributes(b).state != "blank" for b in changer.barcodes()):
                raise NotFoundError(f"tape library {self.path} has labelled cartridges but no keys",
                                    hint="recover them from a cartridge label: bkctl tape scan " + self.name)
        self._library = TapeLibrary.ensure(self.path, describe(self.spec, self.vault_paths), self._secret())
        self._grown = True

    def initialized(self) -> bool:
        """A library directory exists (its lost keys are an error of observation, never a new key)."""
        return Changer.exists(self.path)

    def close(self) -> None:
        self._library = None
        self._grown = False

    # -- observation -------------------------------------------------------------------
    def observe(self) -> TargetState:
        if not self.initialized():
            return TargetState(name=self.name, reachable=True, initialized=False)
        library = self._open()
        expired = library.expired_ids()
        records = point_records(library, expired)
        state = tape_state(library, expired)
        return TargetState(name=self.name, reachable=True, initialized=True, points=tuple(records),
                           fingerprint=fingerprint_points(records), last_verified=self._last_verified(),
                           tape=state)

    def points(self) -> list[PointRecord]:
        library = self._open()
        return point_records(library, library.expired_ids())

    def library_state(self) -> TapeState:
        if not self.initialized():
            raise RepositoryNotFoundError(f"target '{self.name}' holds no tape library ({self.path})",
                                          hint="run `bkctl apply` to create it")
        if self._passphrase is None:
            return library_frame(Changer.open(self.path))
        library = self._open()
        return tape_state(library, library.expired_ids())

    def _entry(self, point_id: str) -> CatalogPoint:
        """A listed point by id or unique prefix (pruned points are not found)."""
        library = self._open()
        expired = library.expired_ids()
        found = {p.id: p for _, p in library.points() if p.id.startswith(point_id) and p.id not in expired}
        if len(found) != 1:
            raise NotFoundError(f"recovery point prefix {point_id!r} is ambiguous on tape" if found else
                                f"no recovery point {point_id!r} on tape target '{self.name}'")
        return next(iter(found.values()))

    # -- writing -----------------------------------------------------------------------
    def backup(self, job: BackupJob, progress: Progress | None = None) -> PointRecord:
        """Save into a staging repository, write the point to tape from it, drop the staging copy."""
        library = self._writable()
        with staging_repository(self.path, library.chunker_seed) as staging:
            with job.source.open(job.workload) as items:
                point = save(staging, items, workload=job.workload, host=job.host, compression=job.compression,
                             meta=job.meta, progress=progress, now=job.time)
            writer = library.writer(self._rules, self._clock(), library.expired_ids())
            return record_of(writer.write(staging, point.id, self._pool))

    def receive_points(self, source: Repository, ids: list[str], *, remember: bool = True) -> CopyResult:
        """Write points from ``source`` into this driver's pool; a point the pool holds is skipped."""
        library = self._writable()
        writer = library.writer(self._rules, self._clock(), library.expired_ids())
        held = {p.id for c, p in library.points() if c.pool == self._pool}
        copied = blobs = 0
        with source.lock("shared"):
            for wanted in ids:
                point_id = source.get_point(wanted).id
                if point_id in held:
                    continue
                blobs += writer.write(source, point_id, self._pool).blobs
                held.add(point_id)
                copied += 1
        return CopyResult(copied, blobs, 0, chunks_read=blobs)  # a point on tape holds all its blobs

    def into_pool(self, pool: str) -> Target:
        if pool not in self._rules:
            raise UsageError(f"target '{self.name}' has no pool '{pool}'", hint=f"pools: {', '.join(self._rules)}")
        twin = copy.copy(self)
        twin._pool = pool
        return twin

    def delete_points(self, ids: list[str]) -> None:
        """Prune points from the catalog; their cartridges are recycled when a write needs one."""
        library = self._open()
        pools = {p.id: c.pool for c, p in library.points()}
        kept = sorted(i for i in ids if self._rules.get(pools.get(i, ""), None) is not None
                      and self._rules[pools[i]].retention == "keep")
        if kept:
            raise UsageError(f"recovery point(s) {', '.join(i[:12] for i in kept)} are in a pool that keeps "
                             "its points for ever ('retention: keep')", context=f"target '{self.name}'")
        library.expire([i for i in ids if i in pools])

    def reclaim(self, *, immediate: bool = False) -> ReclaimResult:
        library = self._open()
        forgotten = library.forget_recycled()
        verdicts = library.recyclability(self._rules, self._clock(), library.expired_ids())
        return CartridgeReclaim(0, cartridges_recyclable=sum(v.recyclable for v in verdicts),
                                points_forgotten=forgotten)

    # -- reading -----------------------------------------------------------------------
    def restore_map(self, point_id: str) -> RestoreMap:
        return restore_map_of(self._open(), self._entry(point_id), timing_for(self.spec.media, self.spec.timing))

    def _staged(self, point_id: str, staging: Repository) -> str:
        """Copy a point from tape into ``staging`` (73 first when a cartridge is off-site)."""
        library = self._open()
        entry = self._entry(point_id)
        require_onsite(library.restore_map(entry.id))
        return library.copy_to_repository(entry.id, staging, compression=None).id

    def restore(self, point_id: str, to: Path, *, include: list[str], overwrite: bool,
                progress: Progress | None = None) -> RestoreResult:
        with staging_repository(self.path) as staging:
            staged = self._staged(point_id, staging)
            stats = restore_point(staging, staged, to, include=include, overwrite=overwrite, progress=progress)
        return RestoreResult(files=stats.files, bytes=stats.bytes, skipped_existing=stats.skipped_existing,
                             landed=tuple(stats.landed))

    def restore_stream(self, point_id: str, out: BinaryIO) -> int:
        with staging_repository(self.path) as staging:
            return restore_stream(staging, self._staged(point_id, staging), out)

    def copy_points_to(self, replica: Target, ids: list[str]) -> CopyResult:
        """Copy points back from tape (into a disk or vault repository, or another tape target)."""
        if not isinstance(replica, CopyDestination):
            raise UsageError(f"target '{replica.name}' cannot take copies from tape target '{self.name}'")
        present = {p.id for p in replica.points()} if replica.initialized() else set()
        copied = blobs = held = read = 0
        for wanted in ids:
            point_id = self._entry(wanted).id
            if point_id in present:
                held += 1
                continue
            with staging_repository(self.path) as staging:
                self._staged(point_id, staging)
                result = replica.receive_points(staging, [point_id], remember=False)
            copied, blobs = copied + result.points_copied, blobs + result.blobs_new
            read += result.chunks_read
        return CopyResult(copied, blobs, held, chunks_read=read)

    def verify(self, read_data_percent: float, progress: Progress | None = None) -> VerifyResult:
        """Re-read a share of the points from tape, authenticating every blob (off-site ones are skipped)."""
        result = verify_share(self._open(), self.points(), read_data_percent, progress)
        if result.ok:
            write_json(self.path / VERIFY_MARKER, {"time": self._clock().isoformat()})
        return result

    def _last_verified(self) -> datetime | None:
        try:
            return datetime.fromisoformat(read_json(self.path / VERIFY_MARKER)["time"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    # -- cartridges --------------------------------------------------------------------
    def label(self, barcodes: list[str] | None) -> list[str]:
        library = self._writable()
        changer = library.changer
        wanted = barcodes if barcodes is not None else [
            b for b in changer.barcodes() if not changer.location(b).startswith("vault:")]
        return library.label(wanted, self._clock())

    def scan(self, *, full: bool) -> ScanSummary:
        """Rebuild the catalog from the cartridges (the keys too, from a label, when ``keys/`` is lost)."""
        if not library_key_objects(self.path):
            self._library = TapeLibrary.recover_keys(self.path, self._secret())
        return scan_summary(self._open().scan(full=full))

    def export(self, barcodes: list[str], vault: str) -> list[str]:
        """Move cartridges off-site, one mail-slot load at a time."""
        library = self._open()
        for batch in mail_slot_batches(library, barcodes):
            library.export(batch, vault)
        return barcodes

    def import_(self, barcodes: list[str]) -> list[str]:
        library = self._open()
        for batch in mail_slot_batches(library, barcodes):
            library.import_(batch)
        return barcodes

    def recycle(self, barcode: str, expired: list[str]) -> None:
        library = self._writable()
        library.recycle(barcode, self._rules, self._clock(), frozenset(expired))
        library.expire(expired)
