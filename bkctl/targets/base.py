"""The Target protocol: what the reconciler and the on-demand commands ask of a driver.

A driver joins a workload's source to its storage: ``backup`` opens the source and saves
what it yields. Everything that crosses this seam is bkctl's own vocabulary: the model's
:class:`PointRecord` for recovery points, and the small result types below. Drivers
translate library errors into BkctlErrors at this edge; callers never see an OSError or
a libcloud exception.

Optional abilities are declared as protocols of their own (:class:`KeyRing`,
:class:`CopyDestination`) that callers test with ``isinstance``, never by probing a
driver's concrete class or attributes. Every driver runs the contract suite in
tests/contract/test_target_contract.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from bkctl.archiver.progress import Progress
from bkctl.model.runs import RunRecord
from bkctl.model.state import PointRecord, TargetState
from bkctl.model.units import format_size
from bkctl.repo.comparison import CHANGE_KINDS
from bkctl.repo.keys import KeyInfo
from bkctl.repo.lock import LockInfo
from bkctl.repo.repair import IndexRepair, PointsRepair
from bkctl.repo.repository import Repository
from bkctl.restorer.compare import Comparison
from bkctl.secrets import Secret
from bkctl.sources.base import Fact, Source
from bkctl.targets.object_lock import LockExtension

__all__ = [
    "Target", "BackupJob", "VerifyResult", "RestoreResult", "ReclaimResult", "CopyResult", "KeyRing",
    "CopyDestination", "RepositoryMaintenance", "RunLog", "RestoredComparison", "PointEntry", "EntryChange",
    "PointFile", "PointBrowser", "StorageFigures", "StorageUsage", "DamagedPoints", "CHANGE_KINDS", "LockHolder",
    "LockExtension",
]


@dataclass(frozen=True)
class BackupJob:
    """One backup of one workload into one target, as the reconciler hands it to a driver."""

    workload: str
    host: str
    source: Source
    compression: int | None
    meta: Mapping[str, Fact] = field(default_factory=dict)
    time: datetime | None = None  # the point's time when a run acts as of another moment (apply --now)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    problems: list[str]
    damaged_points: list[str]
    damaged_files: list[str]
    packs_read: int = 0


@dataclass(frozen=True)
class RestoreResult:
    files: int
    bytes: int
    skipped_existing: int = 0
    landed: tuple[str, ...] = ()  # where each backed-up root was written (/tmp/restored/etc)


@dataclass(frozen=True)
class ReclaimResult:
    """What a reclaim freed, and what it marked for a later one (repository targets delete,
    repack and mark packs; see docs/repository-format.md, "Two-phase reclaim")."""

    bytes_freed: int
    packs_deleted: int = 0
    packs_repacked: int = 0
    packs_marked: int = 0
    bytes_marked: int = 0
    marks_waiting: int = 0
    packs_locked: int = 0

    def describe(self) -> str:
        parts = [f"unreferenced data reclaimed: {format_size(self.bytes_freed)} freed "
                 f"({self.packs_deleted} packs deleted)"]
        if self.packs_marked:
            parts.append(f"{format_size(self.bytes_marked)} in {self.packs_marked} packs marked for a later reclaim")
        if self.packs_repacked:
            parts.append(f"{self.packs_repacked} packs repacked")
        if self.marks_waiting:
            parts.append(f"{self.marks_waiting} earlier marks still waiting for running backups or their grace")
        if self.packs_locked:
            parts.append(f"{self.packs_locked} unreferenced packs kept until their object lock ends")
        return "; ".join(parts)


@dataclass(frozen=True)
class CopyResult:
    """What a copy did: points written (same ids), blobs sent or already in the replica."""

    points_copied: int
    blobs_new: int
    blobs_present: int
    chunks_read: int = 0
    """Chunks read and decrypted from the source (a replica's copy map spares the others)."""


class Target(Protocol):
    """A place that holds recovery points (disk, vault, tape)."""

    name: str

    def observe(self) -> TargetState:
        """The catalog; problems become an unreachable state with a reason, never an exception."""
        ...

    def init(self) -> None:
        """Prepare the target; idempotent."""
        ...

    def initialized(self) -> bool: ...

    def backup(self, job: BackupJob, progress: Progress | None = None) -> PointRecord:
        """Open the job's source and store what it yields as one point; a failure commits nothing."""
        ...

    def points(self) -> list[PointRecord]:
        """Every recovery point held here, oldest first."""
        ...

    def restore(self, point_id: str, to: Path, *, include: list[str], overwrite: bool,
                progress: Progress | None = None) -> RestoreResult: ...

    def restore_stream(self, point_id: str, out: BinaryIO) -> int: ...

    def delete_points(self, ids: list[str]) -> None: ...

    def copy_points_to(self, replica: Target, ids: list[str]) -> CopyResult:
        """Copy points into ``replica`` keeping their ids; UsageError when it cannot take them."""
        ...

    def reclaim(self, *, immediate: bool = False) -> ReclaimResult:
        """Free the space no recovery point needs any more (``immediate``: at once, exclusively)."""
        ...

    def verify(self, read_data_percent: float, progress: Progress | None = None) -> VerifyResult: ...

    def close(self) -> None:
        """Release what the driver holds open; idempotent."""
        ...


@runtime_checkable
class CopyDestination(Protocol):
    """A target that can take recovery points out of a repository, keeping their ids.

    Repository targets are both ends of a copy; a tape driver that writes a repository's
    points onto cartridges joins as a destination by implementing this one method.
    """

    def receive_points(self, source: Repository, ids: list[str], *, remember: bool = True) -> CopyResult:
        """Copy ``ids`` from ``source``; ``remember=False`` for a throw-away source (a tape's
        staging repository), whose chunk pairs no later copy could use."""
        ...


@runtime_checkable
class LockHolder(Protocol):
    """A target whose points are under object lock (a vault with ``immutable``): apply's
    ``extend-lock`` lengthens the lock of points, and of everything they need, to the dates given."""

    def extend_locks(self, until: Mapping[str, datetime]) -> LockExtension: ...


@runtime_checkable
class KeyRing(Protocol):
    """A target whose data is opened by passphrases that can be added, listed and removed."""

    def list_keys(self) -> list[KeyInfo]: ...

    def key_in_use(self) -> str:
        """The id of the key this run opened the target with."""
        ...

    def add_key(self, new: Secret, role: str = "owner", host: str | None = None) -> str: ...

    def remove_key(self, key_id: str) -> None: ...

    def change_passphrase(self, new: Secret) -> None: ...

    def rotate_keys(self) -> int:
        """Start a new key epoch; returns its number (the re-encryption is a planned action)."""
        ...

    def reencrypt(self) -> str:
        """Re-encrypt what older epochs sealed and retire them; says what it did."""
        ...

    def upgrade_keys(self) -> tuple[str, int]:
        """Upgrade a format 2 repository to key roles: the new owner key's id, and how many
        other passphrases stop opening it."""
        ...


@runtime_checkable
class RepositoryMaintenance(Protocol):
    """What a target backed by a repository offers beyond the Target protocol: repairs and
    lock removal (``bkctl repair``, ``bkctl unlock``)."""

    def repair_index(self) -> IndexRepair: ...

    def repair_points(self, *, remove: bool) -> PointsRepair: ...

    def unlock(self, *, only_stale: bool) -> list[LockInfo]: ...


@runtime_checkable
class RunLog(Protocol):
    """A target that keeps the records of the runs that touched it, encrypted with its data.

    Repository targets keep them as ``runs/`` objects (bkctl/repo/runs.py); a tape library
    may keep them in its catalog by implementing these two methods. ``runs`` is what
    ``observe`` puts in ``TargetState.runs``.
    """

    def record_run(self, record: RunRecord) -> None: ...

    def runs(self) -> list[RunRecord]:
        """Every record held, oldest first."""


@dataclass(frozen=True)
class PointEntry:
    """One entry of a point, in bkctl's words: ``path`` is absolute inside the point
    (``/etc/hosts``; a stream point's item is ``/NAME``), ``mode`` the permission bits,
    ``type`` one of file, dir, symlink, fifo, chardev, blockdev."""

    path: str
    type: str
    mode: int
    size: int
    mtime_ns: int
    uid: int = 0
    gid: int = 0
    user: str = ""
    group: str = ""
    link_target: str = ""

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class EntryChange:
    """One difference between two points: ``kind`` is added, removed, modified (content),
    metadata (mode, owner, mtime) or type; ``old`` is None when added, ``new`` when removed."""

    kind: str
    path: str
    old: PointEntry | None
    new: PointEntry | None


class PointFile(Protocol):
    """A stored file opened for reading at any offset (``dump``, ``mount``)."""

    size: int

    def read(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset``; fewer only at the end; damage is RepositoryCorruptError."""
        ...


@runtime_checkable
class RestoredComparison(Protocol):
    """A target that can compare a restored folder with a files point's own tree (drills)."""

    def compare_restored(self, point_id: str, root: Path) -> Comparison: ...


@runtime_checkable
class PointBrowser(Protocol):
    """A target whose points can be read entry by entry without restoring them
    (``ls``, ``find``, ``diff``, ``dump``, ``mount``). Paths are absolute inside the point;
    a missing one is NotFoundError, a damaged tree RepositoryCorruptError."""

    def reading(self) -> AbstractContextManager[None]:
        """Keep the points' data in place while reading (a repository's shared lock)."""
        ...

    def point_entries(self, point_id: str, path: str = "/", *, recursive: bool = True) -> Iterator[PointEntry]:
        """What lies below ``path`` depth-first by name, or the entry itself when it is no folder."""
        ...

    def point_entry(self, point_id: str, path: str) -> PointEntry: ...

    def open_point_file(self, point_id: str, path: str) -> PointFile: ...

    def point_changes(self, old_id: str, new_id: str) -> Iterator[EntryChange]: ...


@dataclass(frozen=True)
class StorageFigures:
    """What a target really stores (its objects' sizes) and how much of it the points use.

    ``stored_bytes``/``pack_bytes``: the store's own sizes of every object / of the data
    packs. ``data_bytes``: the distinct data the points reference, before compression
    (after deduplication); ``data_stored_bytes``: the same data as stored. ``unreferenced_bytes``:
    stored data no point uses (the next reclaim marks it); ``marked_bytes``: data an
    earlier reclaim marked (a later one deletes it).
    """

    stored_bytes: int
    objects: int
    pack_bytes: int
    packs: int
    data_bytes: int
    data_stored_bytes: int
    tree_stored_bytes: int
    unreferenced_bytes: int
    marked_bytes: int


@runtime_checkable
class StorageUsage(Protocol):
    """A target that can say what it stores (``bkctl stats``)."""

    def storage_figures(self) -> StorageFigures: ...


@runtime_checkable
class DamagedPoints(Protocol):
    """A target that names the point documents it cannot read and can delete them one by one
    (``bkctl forget`` of a damaged id)."""

    def damaged_point_ids(self) -> list[str]: ...

    def remove_damaged_points(self, ids: list[str]) -> list[str]:
        """Delete those of ``ids`` that are still damaged; returns the ids removed."""
        ...
