"""Disk and vault targets: a bkctl repository over a BlobStore.

The repository is opened lazily and once per run (key derivation costs ~0.2 s). The time
of the last verification is kept in the store as ``meta/last-verify`` (a bare timestamp,
no secret) so scheduled verification survives a lost local cache.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from bkctl.errors import BkctlError, NotFoundError, RepositoryNotFoundError
from bkctl.model.state import PointRecord, TargetState, fingerprint_points
from bkctl.repo import Repository
from bkctl.repo.copy import CopyStats, copy_points
from bkctl.restorer import restore_point, restore_stream
from bkctl.secrets import Secret
from bkctl.store.base import BlobStore
from bkctl.targets.base import BackupJob, Progress, RestoreResult, VerifyResult

__all__ = ["RepositoryTarget"]

VERIFY_MARKER = "meta/last-verify"


class RepositoryTarget:
    """A target whose recovery points live in a content-addressed repository."""

    def __init__(self, name: str, store: BlobStore, passphrase: Secret | None,
                 cache_dir: Path | None, *, passphrase_error: BkctlError | None = None) -> None:
        self.name = name
        self.store = store
        self._passphrase = passphrase
        self._passphrase_error = passphrase_error
        self._cache_dir = cache_dir
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

        Object stores also get their bucket or container created here, and only here, so a
        typo in a container name cannot silently start a second repository on backup.
        """
        ensure_container = getattr(self.store, "ensure_container", None)
        if ensure_container is not None:
            ensure_container()
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
        """The catalog of recovery points; raises the BkctlError that keeps it from being read
        (bkctl.observe records it, with its exit code, as an unreachable state)."""
        if not Repository.exists(self.store):
            return TargetState(name=self.name, reachable=True, initialized=False)
        repository = self.repository()
        records = tuple(_record(p) for p in repository.list_points())
        locks = tuple(_lock_text(lock) for lock in _list_locks(repository))
        return TargetState(name=self.name, reachable=True, initialized=True, points=records,
                           fingerprint=fingerprint_points(records), locks=locks,
                           last_verified=self._last_verified())

    def points(self) -> list[Any]:
        return sorted(self.repository().list_points(), key=lambda p: p.time)

    def _last_verified(self) -> datetime | None:
        try:
            return datetime.fromisoformat(json.loads(self.store.get(VERIFY_MARKER))["time"])
        except (NotFoundError, ValueError, KeyError, TypeError):
            return None

    # -- actions -----------------------------------------------------------------
    def backup(self, job: BackupJob, progress: Progress | None = None) -> PointRecord:
        point = job.source.backup(self.repository(), workload=job.workload, host=job.host,
                                  compression=job.compression, meta=job.meta, progress=progress, now=None)
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

    def copy_points_to(self, replica: RepositoryTarget, ids: list[str]) -> CopyStats:
        """Copy points (same ids) into ``replica``, storing only the chunks it lacks."""
        return copy_points(self.repository(), replica.repository(), ids)

    def reclaim(self) -> None:
        self.repository().reclaim()

    def verify(self, read_data_percent: float, progress: Progress | None = None) -> VerifyResult:
        report = self.repository().verify(read_data_percent, progress=progress)
        if report.ok:
            stamp = json.dumps({"time": datetime.now(UTC).isoformat()}).encode()
            self.store.put(VERIFY_MARKER, stamp)
        return VerifyResult(report.ok, list(report.problems), list(report.damaged_points),
                            list(report.damaged_files), report.packs_read)


def _record(point: Any) -> PointRecord:
    stats = point.stats or {}
    size = stats.get("bytes", stats.get("size", 0))
    return PointRecord(id=point.id, workload=point.workload, host=point.host, time=point.time,
                       partial=point.partial, bytes=int(size or 0), definition=str(point.meta.get("definition", "")))


def _list_locks(repository: Repository) -> list[dict[str, Any]]:
    locks = []
    for name in repository.store.list("locks/"):
        try:
            locks.append(json.loads(repository.store.get(name)))
        except (NotFoundError, ValueError):
            continue
    return locks


def _lock_text(lock: dict[str, Any]) -> str:
    kind = "exclusive" if lock.get("exclusive") else "shared"
    return f"{kind} lock by {lock.get('host', '?')} pid {lock.get('pid', '?')} since {lock.get('time', '?')}"
