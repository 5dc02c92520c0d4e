"""A target this build cannot reach (a kind not implemented yet, or a broken configuration).

Observing it raises the reason, which bkctl.observe records as an unreachable target (an
error of the plan, not a crash), and every action on it fails with the same error.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, NoReturn

from bkctl.archiver.progress import Progress
from bkctl.errors import BkctlError, TargetUnreachableError
from bkctl.model.state import PointRecord, TargetState
from bkctl.targets.base import BackupJob, CopyResult, ReclaimResult, RestoreResult, Target, VerifyResult

__all__ = ["UnavailableTarget"]


class UnavailableTarget:
    """``cause``, when given, is the error that made the target unavailable (a missing
    credential variable: 65); every call raises it, so each command exits with its code."""

    def __init__(self, name: str, reason: str, *, cause: BkctlError | None = None) -> None:
        self.name = name
        self.reason = reason
        self._cause = cause

    def _fail(self) -> NoReturn:
        raise self._cause or TargetUnreachableError(self.reason, context=f"target '{self.name}'")

    def observe(self) -> TargetState:
        self._fail()

    def init(self) -> None:
        self._fail()

    def initialized(self) -> bool:
        self._fail()

    def backup(self, job: BackupJob, progress: Progress | None = None) -> PointRecord:
        self._fail()

    def points(self) -> list[PointRecord]:
        self._fail()

    def restore(self, point_id: str, to: Path, *, include: list[str], overwrite: bool,
                progress: Progress | None = None) -> RestoreResult:
        self._fail()

    def restore_stream(self, point_id: str, out: BinaryIO) -> int:
        self._fail()

    def delete_points(self, ids: list[str]) -> None:
        self._fail()

    def copy_points_to(self, replica: Target, ids: list[str]) -> CopyResult:
        self._fail()

    def reclaim(self, *, immediate: bool = False) -> ReclaimResult:
        self._fail()

    def verify(self, read_data_percent: float, progress: Progress | None = None) -> VerifyResult:
        self._fail()

    def close(self) -> None:
        return None
