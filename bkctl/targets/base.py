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

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from bkctl.archiver.progress import Progress
from bkctl.model.state import PointRecord, TargetState
from bkctl.model.units import format_size
from bkctl.repo.keys import KeyInfo
from bkctl.repo.lock import LockInfo
from bkctl.repo.repair import IndexRepair, PointsRepair
from bkctl.repo.repository import Repository
from bkctl.secrets import Secret
from bkctl.sources.base import Fact, Source

__all__ = [
    "Target", "BackupJob", "VerifyResult", "RestoreResult", "ReclaimResult", "CopyResult", "KeyRing",
    "CopyDestination", "RepositoryMaintenance",
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

    def describe(self) -> str:
        parts = [f"unreferenced data reclaimed: {format_size(self.bytes_freed)} freed "
                 f"({self.packs_deleted} packs deleted)"]
        if self.packs_marked:
            parts.append(f"{format_size(self.bytes_marked)} in {self.packs_marked} packs marked for a later reclaim")
        if self.packs_repacked:
            parts.append(f"{self.packs_repacked} packs repacked")
        if self.marks_waiting:
            parts.append(f"{self.marks_waiting} earlier marks still waiting for running backups or their grace")
        return "; ".join(parts)


@dataclass(frozen=True)
class CopyResult:
    """What a copy did: points written (same ids), blobs sent or already in the replica."""

    points_copied: int
    blobs_new: int
    blobs_present: int


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

    def receive_points(self, source: Repository, ids: list[str]) -> CopyResult: ...


@runtime_checkable
class KeyRing(Protocol):
    """A target whose data is opened by passphrases that can be added, listed and removed."""

    def list_keys(self) -> list[KeyInfo]: ...

    def key_in_use(self) -> str:
        """The id of the key this run opened the target with."""
        ...

    def add_key(self, new: Secret) -> str: ...

    def remove_key(self, key_id: str) -> None: ...

    def change_passphrase(self, new: Secret) -> None: ...


@runtime_checkable
class RepositoryMaintenance(Protocol):
    """What a target backed by a repository offers beyond the Target protocol: repairs and
    lock removal (``bkctl repair``, ``bkctl unlock``)."""

    def repair_index(self) -> IndexRepair: ...

    def repair_points(self, *, remove: bool) -> PointsRepair: ...

    def unlock(self, *, only_stale: bool) -> list[LockInfo]: ...
