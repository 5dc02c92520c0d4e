"""``bkctl stats``: what each target really stores, and the ratios that explain it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from bkctl.errors import BkctlError, KeyRoleError
from bkctl.model.state import PointRecord
from bkctl.targets.base import (
    DamagedPoints,
    StorageFigures,
    StorageUsage,
)
from bkctl.workspace import Workspace


@dataclass(frozen=True)
class WorkloadTotals:
    """One workload's points in one target: ``logical_bytes`` what restoring them all would
    write, ``new_bytes``/``added_bytes`` what they brought that the target lacked (before /
    after compression), summed over the points."""

    workload: str
    host: str
    points: int
    partial: int
    logical_bytes: int
    new_bytes: int
    added_bytes: int
    newest: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "newest": self.newest.isoformat() if self.newest else None}


@dataclass(frozen=True)
class TargetStats:
    target: str
    initialized: bool = True
    figures: StorageFigures | None = None
    figures_withheld: bool = False  # this key's role may not read the trees the figures need
    workloads: tuple[WorkloadTotals, ...] = ()
    damaged_points: int = 0
    error: str = ""
    error_code: int = 0

    @property
    def points(self) -> int:
        return sum(w.points for w in self.workloads)

    @property
    def logical_bytes(self) -> int:
        return sum(w.logical_bytes for w in self.workloads)

    @property
    def dedup_ratio(self) -> float | None:
        """Logical bytes of every point over the distinct data they reference."""
        data = self.figures.data_bytes if self.figures else 0
        return round(self.logical_bytes / data, 2) if data else None

    @property
    def compression_ratio(self) -> float | None:
        """That distinct data before compression over its size as stored."""
        stored = self.figures.data_stored_bytes if self.figures else 0
        return round(self.figures.data_bytes / stored, 2) if self.figures and stored else None

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "initialized": self.initialized, "error": self.error,
                "error_code": self.error_code, "points": self.points, "damaged_points": self.damaged_points,
                "logical_bytes": self.logical_bytes, "dedup_ratio": self.dedup_ratio,
                "compression_ratio": self.compression_ratio,
                "storage": asdict(self.figures) if self.figures else None,
                "workloads": [w.as_dict() for w in self.workloads]}


def storage_stats(workspace: Workspace, targets: list[str] | None = None) -> list[TargetStats]:
    """Per target: what it stores, what its points reference, per-workload totals. A target
    that cannot be read gets a row with its error (and exit code) instead of figures."""
    return [_target_stats(workspace, name) for name in targets or sorted(workspace.manifest.targets)]


def _figures(driver: object) -> tuple[StorageFigures | None, bool]:
    """The target's storage figures (None when the driver has none), and whether they were
    withheld because this key's role may not read what they need (a writer key lists points,
    never trees): no figure beats a wrong one."""
    if not isinstance(driver, StorageUsage):
        return None, False
    try:
        return driver.storage_figures(), False
    except KeyRoleError:
        return None, True


def _target_stats(workspace: Workspace, name: str) -> TargetStats:
    driver = workspace.driver(name)
    try:
        if not driver.initialized():
            return TargetStats(name, initialized=False)
        points = driver.points()
        figures, withheld = _figures(driver)
        damaged = len(driver.damaged_point_ids()) if isinstance(driver, DamagedPoints) else 0
    except BkctlError as error:
        return TargetStats(name, error=error.message, error_code=int(error.exit_code))
    groups: dict[tuple[str, str], list[PointRecord]] = {}
    for point in points:
        groups.setdefault((point.workload, point.host), []).append(point)
    totals = tuple(WorkloadTotals(workload, host, len(held), sum(p.partial for p in held), sum(p.bytes for p in held),
                                  sum(p.new_bytes for p in held), sum(p.stored_bytes for p in held),
                                  max(p.time for p in held)) for (workload, host), held in sorted(groups.items()))
    return TargetStats(name, figures=figures, workloads=totals, damaged_points=damaged, figures_withheld=withheld)


