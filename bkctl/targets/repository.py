"""Disk and vault targets: a bkctl repository over a BlobStore.

The repository is opened lazily and once per run (key derivation costs ~0.2 s). The time
of the last verification is kept in the store as ``meta/last-verify`` (a bare timestamp,
no secret) so scheduled verification survives a lost local cache.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from bkctl.archiver import Progress, save
from bkctl.errors import BkctlError, NotFoundError, RepositoryNotFoundError, UsageError
from bkctl.model.runs import RunRecord
from bkctl.model.state import PointRecord, TargetState, fingerprint_points
from bkctl.repo import PointInfo, Repository
from bkctl.repo import config as repo_config
from bkctl.repo.browse import entries_below, lookup, split_path
from bkctl.repo.comparison import changes
from bkctl.repo.copy import copy_points
from bkctl.repo.file_content import FileContent
from bkctl.repo.keys import KeyInfo
from bkctl.repo.lock import LockInfo, RepositoryLock, read_locks, remove_locks
from bkctl.repo.marks import MarkSet
from bkctl.repo.reclaim import DEFAULT_GRACE, reclaim
from bkctl.repo.repair import IndexRepair, PointsRepair, remove_damaged_points, repair_index, repair_points
from bkctl.repo.repository import RepositoryExistsError
from bkctl.repo.rotation import reencrypt, rotate_keys, rotation_pending, upgrade_to_roles
from bkctl.repo.runs import append_run, read_runs
from bkctl.repo.tree import Node
from bkctl.repo.usage import storage_usage
from bkctl.repo.verify import verify
from bkctl.restorer import restore_point, restore_stream
from bkctl.restorer.compare import Comparison, compare_restored
from bkctl.secrets import Secret
from bkctl.store.append_only import AppendOnlyStore
from bkctl.store.base import BlobStore
from bkctl.targets.base import (
    BackupJob,
    CopyDestination,
    CopyResult,
    EntryChange,
    LockExtension,
    PointEntry,
    PointFile,
    ReclaimResult,
    RestoreResult,
    StorageFigures,
    Target,
    VerifyResult,
)
from bkctl.targets.object_lock import ObjectLocks, extend_locks, lock_dependencies, locked_among, point_locks

__all__ = ["RepositoryTarget"]

VERIFY_MARKER = "meta/last-verify"


class RepositoryTarget:
    """A target whose recovery points live in a content-addressed repository.

    Besides :class:`~bkctl.targets.base.Target` it is a ``KeyRing``, a ``CopyDestination``,
    a ``RunLog``, a ``RestoredComparison``, a ``PointBrowser``, a ``StorageUsage`` and
    ``DamagedPoints``, and offers ``RepositoryMaintenance`` (repair, unlock).

    With ``locks`` (a vault with ``immutable``: the store writes long-lived objects under S3
    Object Lock) it is also a ``LockHolder``: observation reads each point's lock, backups
    and copies lock a new point's data as long as the point (bkctl/targets/object_lock.py),
    and reclaim leaves locked packs alone.

    With ``append_only`` (a disk target with ``append_only: true``; the same object as
    ``store``) the store refuses deletes and overwrites of history until this driver tells it
    the repository was opened with an owner key; prunes, forget, reclaim and repairs check
    that first and fail with exit code 77 before touching anything, and observation reports
    the non-owner role so the plan holds them back (bkctl/planner/append_only.py).
    """

    def __init__(self, name: str, store: BlobStore, passphrase: Secret | None,
                 cache_dir: Path | None, *, passphrase_error: BkctlError | None = None,
                 create_container: Callable[[], None] | None = None,
                 reclaim_grace: timedelta = DEFAULT_GRACE, locks: ObjectLocks | None = None,
                 append_only: AppendOnlyStore | None = None) -> None:
        self.name = name
        self.locks = locks
        self.append_only = append_only
        self.reclaim_grace = reclaim_grace
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
            self._repository = self._opened(self._open)
        return self._repository

    def _open(self) -> Repository:
        if self.append_only is not None and _format(self.store) < 3:
            # Every key of a format 1 or 2 repository is an owner key, and opening a format 1
            # one rewrites its config (after the passphrase is checked): let that through.
            self.append_only.opened_with("owner")
        return Repository.open(self.store, self._secret(), cache_dir=self._cache_dir)

    def _opened(self, make: Callable[[], Repository]) -> Repository:
        """``make()``, and the store told which key role opened it (None while it fails)."""
        if self.append_only is None:
            return make()
        try:
            repository = make()
        except BaseException:
            self.append_only.opened_with(None)
            raise
        self.append_only.opened_with(repository.role)
        return repository

    def _require_owner(self, doing: str) -> None:
        """On an append-only target: KeyRoleError (exit 77) unless the owner key opened it."""
        if self.append_only is not None:
            self.repository()
            self.append_only.require_owner(doing)

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
            with suppress(RepositoryExistsError):  # another process initialised it meanwhile: use theirs
                self._repository = self._opened(
                    lambda: Repository.init(self.store, self._secret(), cache_dir=self._cache_dir))

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
        if self.locks is not None:
            self.locks.check_object_lock()  # a bucket that cannot lock is an error, never a quiet mutable copy
        if not Repository.exists(self.store):
            return TargetState(name=self.name, reachable=True, initialized=False)
        records = tuple(self.points())
        locks = tuple(read_locks(self.store))
        marks = self.repository().read_marks()
        object_locks = point_locks(self.locks, (p.id for p in records)) if self.locks is not None else {}
        now = datetime.now(UTC)
        return TargetState(name=self.name, reachable=True, initialized=True, points=records,
                           fingerprint=fingerprint_points(records), locks=tuple(lock.describe() for lock in locks),
                           last_verified=self._last_verified(),
                           damaged_points=tuple(self.repository().damaged_points()),
                           marked_bytes=marks.bytes, reclaim_ready=self._reclaim_ready(marks, locks),
                           runs=tuple(self.runs()), object_locks=object_locks, key_role=self.repository().role,
                           key_rotation=_rotation(self.repository()), append_only_role=self._append_only_role(),
                           immutable_points=tuple(sorted(p for p, until in object_locks.items() if until > now)))

    def _append_only_role(self) -> str:
        """The role of this run's key when the target is append-only and it is not the owner's, else ""."""
        if self.append_only is None or self.append_only.owner:
            return ""
        return self.repository().role

    def _reclaim_ready(self, marks: MarkSet, locks: tuple[LockInfo, ...]) -> datetime | None:
        """When the earliest mark may be deleted: after its grace, once its locks are gone."""
        held = {lock.name for lock in locks}
        times = [mark.time + self.reclaim_grace for mark in marks.marks
                 if mark.ready and not held & set(mark.locks or ())]
        return min(times, default=None)

    def points(self) -> list[PointRecord]:
        return [_record(point) for point in self.repository().list_points(private=False)]  # oldest first

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
                         meta=job.meta, progress=progress, now=job.time)
        if self.locks is not None:  # by the ids it committed: a writer key cannot walk the point's trees
            refs = repository.committed_references
            lock_dependencies(self.locks, repository, [point.id], {point.id: refs} if refs is not None else None)
        return _record(point)

    def restore(self, point_id: str, to: Path, *, include: list[str], overwrite: bool,
                progress: Progress | None = None) -> RestoreResult:
        repository = self.repository()
        with repository.lock("shared"):  # a reclaim deleting meanwhile waits for this lock
            stats = restore_point(repository, point_id, to, include=include, overwrite=overwrite,
                                  progress=progress)
        return RestoreResult(files=stats.files, bytes=stats.bytes, skipped_existing=stats.skipped_existing,
                             landed=tuple(stats.landed))

    def restore_stream(self, point_id: str, out: BinaryIO) -> int:
        repository = self.repository()
        with repository.lock("shared"):
            return restore_stream(repository, point_id, out)

    def delete_points(self, ids: list[str]) -> None:
        self._require_owner("delete recovery points")
        self.repository().delete_points(ids)

    def copy_points_to(self, replica: Target, ids: list[str]) -> CopyResult:
        """Copy points (same ids) into ``replica``, which stores only the data it lacks."""
        if not isinstance(replica, CopyDestination):
            raise UsageError(f"copies go between disk and vault targets ('{self.name}' -> '{replica.name}')")
        return replica.receive_points(self.repository(), ids)

    def receive_points(self, source: Repository, ids: list[str], *, remember: bool = True) -> CopyResult:
        repository = self.repository()
        stats = copy_points(source, repository, ids, remember=remember)
        if self.locks is not None:  # copies keep their ids: lock what each needs as long as it
            lock_dependencies(self.locks, repository, [source.get_point(i).id for i in ids])
        return CopyResult(stats.points_copied, stats.blobs_new, stats.blobs_present, stats.chunks_read)

    def reclaim(self, *, immediate: bool = False) -> ReclaimResult:
        self._require_owner("reclaim space")
        held = locked_among(self.locks, lambda: datetime.now(UTC)) if self.locks is not None else None
        stats = reclaim(self.repository(), grace=self.reclaim_grace, immediate=immediate, held=held)
        return ReclaimResult(stats.bytes_freed, stats.packs_deleted, stats.packs_repacked, stats.packs_marked,
                             stats.bytes_marked, stats.marks_waiting, stats.packs_locked)

    def extend_locks(self, until: Mapping[str, datetime]) -> LockExtension:
        """Lock the points in ``until`` and everything they need at least until their dates."""
        if self.locks is None:
            raise UsageError(f"target '{self.name}' does not lock its points (it has no 'immutable')")
        repository = self.repository()
        with repository.lock("shared"):  # a reclaim deleting meanwhile waits for it
            return extend_locks(self.locks, repository, until)

    def repair_index(self) -> IndexRepair:
        self._require_owner("rewrite the index")
        return repair_index(self.repository())

    def repair_points(self, *, remove: bool) -> PointsRepair:
        self._require_owner("repair recovery points")
        return repair_points(self.repository(), remove=remove)

    def unlock(self, *, only_stale: bool) -> list[LockInfo]:
        """Remove stale locks (or all); needs no passphrase, only access to the store."""
        return remove_locks(self.store, only_stale=only_stale)

    # -- browsing (ls, find, diff, dump, mount) and figures (stats) --------------------
    def reading(self) -> AbstractContextManager[None]:
        return _held(self.repository().lock("shared"))  # a reclaim deleting meanwhile waits for it

    def point_entries(self, point_id: str, path: str = "/", *, recursive: bool = True) -> Iterator[PointEntry]:
        repository = self.repository()
        root = repository.get_point(point_id).root
        for where, node in entries_below(repository, root, path, recursive=recursive):
            yield _entry(where, node)

    def point_entry(self, point_id: str, path: str) -> PointEntry:
        repository = self.repository()
        where = "/" + "/".join(split_path(path))
        return _entry(where, lookup(repository, repository.get_point(point_id).root, path))

    def open_point_file(self, point_id: str, path: str) -> PointFile:
        repository = self.repository()
        point = repository.get_point(point_id)
        return FileContent(repository, lookup(repository, point.root, path), what=f"{path} in point {point.id[:8]}")

    def point_changes(self, old_id: str, new_id: str) -> Iterator[EntryChange]:
        repository = self.repository()
        old, new = repository.get_point(old_id), repository.get_point(new_id)
        for change in changes(repository, old.root, new.root):
            yield EntryChange(change.kind, change.path,
                              None if change.old is None else _entry(change.path, change.old),
                              None if change.new is None else _entry(change.path, change.new))

    def storage_figures(self) -> StorageFigures:
        repository = self.repository()
        repository.require("owner", "manager", doing="measure what the points reference (it reads their trees)")
        with repository.lock("shared"):
            usage = storage_usage(repository, repository.list_points())
        return StorageFigures(**asdict(usage))

    def damaged_point_ids(self) -> list[str]:
        repository = self.repository()
        repository.list_points(private=False)
        return repository.damaged_points()

    def remove_damaged_points(self, ids: list[str]) -> list[str]:
        self._require_owner("remove damaged recovery points")
        return remove_damaged_points(self.repository(), ids)

    def verify(self, read_data_percent: float, progress: Progress | None = None) -> VerifyResult:
        if progress is None:
            report = verify(self.repository(), read_data_percent)
        else:
            report = verify(self.repository(), read_data_percent, progress.advance, progress.total, progress.file)
        if report.ok:
            stamp = json.dumps({"time": datetime.now(UTC).isoformat()}).encode()
            self.store.put(VERIFY_MARKER, stamp)
        return VerifyResult(report.ok, list(report.problems), list(report.damaged_points),
                            list(report.damaged_files), report.packs_read)

    # -- run records and drills ---------------------------------------------------
    def record_run(self, record: RunRecord) -> None:
        append_run(self.repository(), record)

    def runs(self) -> list[RunRecord]:
        return read_runs(self.repository())

    def compare_restored(self, point_id: str, root: Path) -> Comparison:
        return compare_restored(self.repository(), point_id, root)

    # -- keys --------------------------------------------------------------------
    def list_keys(self) -> list[KeyInfo]:
        return self.repository().list_keys()

    def key_in_use(self) -> str:
        return self.repository().key_id

    def add_key(self, new: Secret, role: str = "owner", host: str | None = None) -> str:
        return self.repository().add_key(new, role=role, host=host)

    def remove_key(self, key_id: str) -> None:
        self.repository().remove_key(key_id)

    def change_passphrase(self, new: Secret) -> None:
        self.repository().change_passphrase(new)

    def rotate_keys(self) -> int:
        return rotate_keys(self.repository())

    def reencrypt(self) -> str:
        return reencrypt(self.repository()).describe()

    def upgrade_keys(self) -> tuple[str, int]:
        return upgrade_to_roles(self.repository(), self._secret())


@contextmanager
def _held(lock: RepositoryLock) -> Iterator[None]:
    with lock:
        yield


def _entry(path: str, node: Node) -> PointEntry:
    """A tree node as the entry that crosses the seam (the node's dict stays in the engine)."""
    return PointEntry(path=path, type=str(node["type"]), mode=int(node.get("mode", 0)), size=int(node.get("size", 0)),
                      mtime_ns=int(node.get("mtime_ns", 0)), uid=int(node.get("uid", 0)), gid=int(node.get("gid", 0)),
                      user=str(node.get("user", "")), group=str(node.get("group", "")),
                      link_target=str(node.get("target", "")))


def _rotation(repository: Repository) -> str:
    """What a pending key rotation is, for the plan ("" when none is pending)."""
    pending = rotation_pending(repository)
    if pending is None:
        return ""
    started = str(pending.get("started", ""))[:16].replace("T", " ")
    return f"key epoch {pending.get('epoch')} since {started} UTC"


def _format(store: BlobStore) -> int:
    """The repository format version its config names (readable without a key)."""
    return int(repo_config.parse(store.get("config")).get("version", 1))


def _record(point: PointInfo) -> PointRecord:
    """The catalog entry of a stored point: the one point type that leaves this driver."""
    stats = point.stats or {}
    size = stats.get("bytes", stats.get("size", 0))
    return PointRecord(id=point.id, workload=point.workload, host=point.host, time=point.time,
                       partial=point.partial, bytes=int(size or 0),
                       stored_bytes=int(stats.get("stored_bytes", 0) or 0),
                       new_bytes=int(stats.get("new_bytes", 0) or 0),
                       definition=str(point.meta.get("definition", "")))
