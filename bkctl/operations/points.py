"""Recovery points: list them, choose one (by id prefix, time or newest), restore and verify."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from bkctl.archiver.progress import Progress
from bkctl.errors import NotFoundError, UsageError
from bkctl.model.state import PointRecord
from bkctl.sources.database_restore import restore_into
from bkctl.sources.environment import child_environment
from bkctl.targets.base import (
    KeyRing,
    RestoreResult,
    VerifyResult,
)
from bkctl.workspace import Workspace


class AmbiguousPointError(UsageError):
    reference = "point-ambiguous"


@dataclass(frozen=True)
class PointRow:
    """A recovery point and the target that holds it (the same point may be in several)."""

    target: str
    point: PointRecord

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, **self.point.model_dump(), "time": self.point.time.isoformat()}


def list_points(workspace: Workspace, *, workload: str | None = None, target: str | None = None) -> list[PointRow]:
    rows = []
    for name, driver in workspace.drivers([target] if target else None).items():
        if not driver.initialized():
            continue
        rows += [PointRow(name, point) for point in driver.points() if workload is None or point.workload == workload]
    return sorted(rows, key=lambda r: (r.point.time, r.target, r.point.id))


def choose_point(workspace: Workspace, workload: str, *, point: str | None, at: datetime | None,
                 target: str | None) -> PointRow:
    """The point asked for: by id (prefix), the newest at or before ``at``, or the newest."""
    workspace.check_workload(workload)
    targets = [target] if target else list(workspace.manifest.workloads[workload].targets)
    candidates = [r for t in targets for r in list_points(workspace, workload=workload, target=t)
                  if r.point.host == workspace.host_of(workload)]
    if point:
        matches = [r for r in candidates if r.point.id.startswith(point)]
        if len({r.point.id for r in matches}) > 1:
            raise AmbiguousPointError(f"recovery point prefix '{point}' is ambiguous", hint="give more characters")
    elif at:
        matches = [r for r in candidates if r.point.time <= at][-1:]
    else:
        matches = candidates[-1:]
    if not matches:
        raise NotFoundError(f"no recovery point of workload '{workload}' matches",
                            hint="list them with: bkctl points --workload " + workload)
    return matches[-1] if not point else matches[0]


def restore(workspace: Workspace, row: PointRow, to: Path, *, include: list[str], overwrite: bool,
            progress: Progress | None = None) -> RestoreResult:
    return workspace.driver(row.target).restore(row.point.id, to, include=include, overwrite=overwrite,
                                                progress=progress)


def restore_stream(workspace: Workspace, row: PointRow, out: BinaryIO) -> int:
    """Write a stream point's item to ``out``; returns the number of bytes."""
    return workspace.driver(row.target).restore_stream(row.point.id, out)


def restore_into_database(workspace: Workspace, row: PointRow, dsn: str) -> int:
    """Pipe a database point into the server ``dsn`` names (through the workload's own tool)."""
    spec = workspace.manifest.workloads[row.point.workload]
    driver = workspace.driver(row.target)
    return restore_into(spec, dsn, lambda stream: driver.restore_stream(row.point.id, stream),
                        environment=child_environment(workspace.manifest, row.point.workload))


def verify(workspace: Workspace, target: str, read_data_percent: float,
           progress: Progress | None = None) -> VerifyResult:
    return workspace.driver(target).verify(read_data_percent, progress)


def key_ring(workspace: Workspace, target: str) -> KeyRing:
    """The passphrases (keys) of a target, for targets whose data is opened by keys."""
    driver = workspace.driver(target)
    if not isinstance(driver, KeyRing):
        raise UsageError(f"target '{target}' has no repository keys")
    return driver


