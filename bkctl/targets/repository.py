"""Disk and vault targets: a bkctl repository over a BlobStore.

The repository is opened lazily and once per run (key derivation costs ~0.2 s). The time
of the last verification is kept in the store as ``meta/last-verify`` (a bare timestamp,
no secret) so scheduled verification survives a lost local cache.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from bkctl.archiver import Progress, save
from bkctl.errors import BkctlError, NotFoundError, RepositoryNotFoundError, UsageError
from bkctl.model.state import PointRecord, TargetState, fingerprint_points
from bkctl.repo import PointInfo, Repository
from bkctl.repo.copy import copy_points
from bkctl.repo.keys import KeyInfo
from bkctl.repo.reclaim import reclaim
from bkctl.repo.verify import verify
from bkctl.restorer import restore_point, restore_stream
from bkctl.secrets import Secret
from bkctl.store.base import BlobStore
from bkctl.targets.base import (
    BackupJob,
    CopyDestination,
    CopyResult,
    ReclaimResult,
    RestoreResult,
    Target,
    VerifyResult,
)

__all__ = ["RepositoryTarget"]

VERIFY_MARKER = "meta/last-verify"


class RepositoryTarget:
    """A target whose recovery points live in a content-addressed repository.

    Besides :class:`~bkctl.targets.base.Target` it is a ``KeyRing`` and a ``CopyDestination``.
    """

    def __init__(self, name: str, store: BlobStore, passphrase: Secret | None,
                 cache_dir: Path | None, *, passphrase_error: BkctlError | None = None,
                 create_container: Callable[[], None] | None = None) -> None:
        self.name = name
        self.store = store
        self._passphrase = passphrase
        self._passphrase_error = passphrase_error
        self._cache_dir = cache_dir
        self._create_container = create_container
        self._repository: Repository | None = None

    # -- lifecycle ---------------------------------------------------------------
    def repository(self) -> Repository:
        """The open repository; raises a clear error when it does not exist or will not open."""
        if self._repository is None:
            if not Repository.exists(self.store):
                raise RepositoryNotFoundError(
                    f"target '{self.name}' holds no repository", hint="run `bkctl apply` to initialise it"
                )
            self._repository = Repository.open(self.store, self._secret(), cache_dir=self._cache_dir)
        return self._repository

    def _secret(self) -> Secret:
        if self._passphrase is None:
            raise self._passphrase_error or BkctlError(f"target '{self.name}' has no passphrase")
        return self._passphrase

    def init(self) -> None:
        """Create the repository (idempotent: an existing one is left alone).

        Object stores get their bucket or container created here (``create_container``),
        and only here, so a typo in a container name cannot silently start a second
        repository on backup.
        """
        if self._create_container is not None:
            self._create_container()
        if not Repository.exists(self.store):
            self._repository = Repository.init(self.store, self._secret(), cache_dir=self._cache_dir)

    def initialized(self) -> bool:
        """Whether a repository exists here (without opening it, so no passphrase needed)."""
        return Repository.exists(self.store)

    def close(self) -> None:
        if self._repository is not None:
            self._repository.close()
            self._repository = None

    # -- observation -------------------------------------------------------------
    def observe(self) -> TargetState:
        """The catalog of recovery points; problems become an unreachable state with a reason."""
        try:
            if not Repository.exists(self.store):
                return TargetState(name=self.name, reachable=True, initialized=False)
            records = tuple(self.points())
            locks = tuple(_lock_text(lock) for lock in _list_locks(self.store))
        except BkctlError as error:
            return TargetState(name=self.name, reachable=False, initialized=False, error=error.message)
        return TargetState(name=self.name, reachable=True, initialized=True, points=records,
                           fingerprint=fingerprint_points(records), locks=locks,
                           last_verified=self._last_verified())

    def points(self) -> list[PointRecord]:
        return [_record(point) for point in self.repository().list_points()]  # oldest first

    def _last_verified(self) -> datetime | None:
        try:
            return datetime.fromisoformat(json.loads(self.store.get(VERIFY_MARKER))["time"])
        except (NotFoundError, ValueError, KeyError, TypeError):
            return None

    # -- actions -----------------------------------------------------------------
    def backup(self, job: BackupJob, progress: Progress | None = None) -> PointRecord:
        """The one place a source meets the engine: open it, save what it yields, commit.

        The repository is opened first, so a wrong passphrase fails before a dump starts.
        """
        repository = self.repository()
        with job.source.open(job.workload) as items:
            point = save(repository, items, workload=job.workload, host=job.host, compression=job.compression,
                         meta=job.meta, progress=progress)
        return _record(point)

    def restore(self, point_id: str, to: Path, *, include: list[str], overwrite: bool,
                progress: Progress | None = None) -> RestoreResult:
        stats = restore_point(self.repository(), point_id, to, include=include, overwrite=overwrite,
                              progress=progress)
        return RestoreResult(files=stats.files, bytes=stats.bytes, skipped_existing=stats.skipped_existing)

    def restore_stream(self, point_id: str, out: BinaryIO) -> int:
        return restore_stream(self.repository(), point_id, out)

    def delete_points(self, ids: list[str]) -> None:
        self.repository().delete_points(ids)

    def copy_points_to(self, replica: Target, ids: list[str]) -> CopyResult:
        """Copy points (same ids) into ``replica``, which stores only the data it lacks."""
        if not isinstance(replica, CopyDestination):
            raise UsageError(f"copies go between disk and vault targets ('{self.name}' -> '{replica.name}')")
        return replica.receive_points(self.repository(), ids)

    def receive_points(self, source: Repository, ids: list[str]) -> CopyResult:
        stats = copy_points(source, self.repository(), ids)
        return CopyResult(stats.points_copied, stats.blobs_new, stats.blobs_present)

    def reclaim(self) -> ReclaimResult:
        stats = reclaim(self.repository())
        return ReclaimResult(stats.bytes_freed, stats.packs_deleted, stats.packs_repacked)

    def verify(self, read_data_percent: float, progress: Progress | None = None) -> VerifyResult:
        report = verify(self.repository(), read_data_percent, progress.advance if progress is not None else None)
        if report.ok:
            stamp = json.dumps({"time": datetime.now(UTC).isoformat()}).encode()
            self.store.put(VERIFY_MARKER, stamp)
        return VerifyResult(report.ok, list(report.problems), list(report.damaged_points),
                            list(report.damaged_files), report.packs_read)

    # -- keys --------------------------------------------------------------------
    def list_keys(self) -> list[KeyInfo]:
        return self.repository().list_keys()

    def key_in_use(self) -> str:
        return self.repository().key_id

    def add_key(self, new: Secret) -> str:
        return self.repository().add_key(new)

    def remove_key(self, key_id: str) -> None:
        self.repository().remove_key(key_id)

    def change_passphrase(self, new: Secret) -> None:
        self.repository().change_passphrase(new)


def _record(point: PointInfo) -> PointRecord:
    """The catalog entry of a stored point: the one point type that leaves this driver."""
    stats = point.stats or {}
    size = stats.get("bytes", stats.get("size", 0))
    return PointRecord(id=point.id, workload=point.workload, host=point.host, time=point.time,
                       partial=point.partial, bytes=int(size or 0),
                       stored_bytes=int(stats.get("stored_bytes", 0) or 0))


def _list_locks(store: BlobStore) -> list[dict[str, object]]:
    locks = []
    for name in store.list("locks/"):
        try:
            locks.append(json.loads(store.get(name)))
        except (NotFoundError, ValueError):
            continue
    return locks


def _lock_text(lock: dict[str, object]) -> str:
    kind = "exclusive" if lock.get("exclusive") else "shared"
    return f"{kind} lock by {lock.get('host', '?')} pid {lock.get('pid', '?')} since {lock.get('time', '?')}"
