"""Repository upkeep by hand: reclaim, repair and unlock (``bkctl reclaim``, ``repair``, ``unlock``)."""

from __future__ import annotations

from bkctl.errors import UsageError
from bkctl.repo.repair import IndexRepair, PointsRepair
from bkctl.targets.base import (
    ReclaimResult,
    RepositoryMaintenance,
)
from bkctl.workspace import Workspace


def repository_targets(workspace: Workspace, targets: list[str] | None) -> list[str]:
    """The named targets (all by default) that hold an initialised repository."""
    chosen = targets or sorted(workspace.manifest.targets)
    return [name for name in chosen if isinstance(workspace.driver(name), RepositoryMaintenance)
            and workspace.driver(name).initialized()]


def _maintained(workspace: Workspace, target: str) -> RepositoryMaintenance:
    driver = workspace.driver(target)
    if not isinstance(driver, RepositoryMaintenance):
        raise UsageError(f"target '{target}' has no repository to repair or unlock")
    return driver


def reclaim(workspace: Workspace, target: str, *, immediate: bool) -> ReclaimResult:
    """Two-phase reclaim of one target, or an immediate one under an exclusive lock."""
    return workspace.driver(target).reclaim(immediate=immediate)


def repair_index(workspace: Workspace, target: str) -> IndexRepair:
    return _maintained(workspace, target).repair_index()


def repair_points(workspace: Workspace, target: str, *, remove: bool) -> PointsRepair:
    return _maintained(workspace, target).repair_points(remove=remove)


def unlock(workspace: Workspace, target: str, *, only_stale: bool) -> list[str]:
    """Descriptions of the locks removed."""
    return [lock.describe() for lock in _maintained(workspace, target).unlock(only_stale=only_stale)]


