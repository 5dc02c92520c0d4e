"""The Target protocol: what the reconciler and the on-demand commands ask of a driver.

Drivers translate library errors into BkctlErrors at this edge; callers never see an
OSError or a libcloud exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable

from bkctl.model.state import PointRecord, TargetState
from bkctl.repo.lock import LockInfo
from bkctl.repo.reclaim import ReclaimStats
from bkctl.repo.repair import IndexRepair, PointsRepair

__all__ = ["Target", "Source", "BackupJob", "VerifyResult", "RestoreResult", "Progress", "RepositoryMaintenance"]


class Progress(Protocol):
    """Progress sink for long work; ``None`` where nobody watches."""

    def advance(self, count: int) -> None: ...

    def file(self, path: str) -> None: ...


class Source(Protocol):
    """A workload reader: writes one recovery point into an open repository."""

    @property
    def kind(self) -> str: ...

    def backup(self, repository: Any, *, workload: str, host: str, compression: int | None,
               meta: dict[str, Any], progress: Progress | None, now: datetime | None) -> Any: ...


@dataclass(frozen=True)
class BackupJob:
    """One backup of one workload into one target, as the reconciler hands it to a driver."""

    workload: str
    host: str
    source: Source
    compression: int | None
    meta: dict[str, Any] = field(default_factory=dict)


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


class Target(Protocol):
    """A place that holds recovery points (disk, vault, tape)."""

    name: str

    def observe(self) -> TargetState: ...

    def init(self) -> None: ...

    def initialized(self) -> bool: ...

    def backup(self, job: BackupJob, progress: Progress | None = None) -> PointRecord: ...

    def points(self) -> list[Any]: ...

    def restore(self, point_id: str, to: Path, *, include: list[str], overwrite: bool,
                progress: Progress | None = None) -> RestoreResult: ...

    def restore_stream(self, point_id: str, out: BinaryIO) -> int: ...

    def delete_points(self, ids: list[str]) -> None: ...

    def reclaim(self, *, immediate: bool = False) -> ReclaimStats: ...

    def verify(self, read_data_percent: float, progress: Progress | None = None) -> VerifyResult: ...

    def close(self) -> None: ...


@runtime_checkable
class RepositoryMaintenance(Protocol):
    """What a target backed by a repository offers beyond the Target protocol: repairs and
    lock removal (``bkctl repair``, ``bkctl unlock``)."""

    def repair_index(self) -> IndexRepair: ...

    def repair_points(self, *, remove: bool) -> PointsRepair: ...

    def unlock(self, *, only_stale: bool) -> list[LockInfo]: ...
