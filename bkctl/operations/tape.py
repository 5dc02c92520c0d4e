"""Tape use cases: cartridges, restore maps and copies back from tape (``bkctl tape``)."""

from __future__ import annotations

from bkctl.errors import UsageError
from bkctl.model.tape_state import TapeState
from bkctl.operations.points import PointRow
from bkctl.targets.base import (
    CopyResult,
)
from bkctl.targets.media import MediaLibrary, RestoreMap, ScanSummary
from bkctl.workspace import Workspace


def media_library(workspace: Workspace, target: str) -> MediaLibrary:
    driver = workspace.driver(target)
    if not isinstance(driver, MediaLibrary):
        raise UsageError(f"target '{target}' is not a tape library",
                         hint="tape commands take a target of type: tape")
    return driver


def restore_map(workspace: Workspace, row: PointRow) -> RestoreMap | None:
    """The cartridges a restore from tape reads, in order, with their places; None off tape."""
    driver = workspace.driver(row.target)
    return driver.restore_map(row.point.id) if isinstance(driver, MediaLibrary) else None


def copy_points(workspace: Workspace, source: str, destination: str, ids: list[str]) -> CopyResult:
    """Copy points between targets keeping their ids (from tape back into a disk or vault target)."""
    return workspace.driver(source).copy_points_to(workspace.driver(destination), ids)


def tape_status(workspace: Workspace, target: str) -> TapeState:
    return media_library(workspace, target).library_state()


def tape_label(workspace: Workspace, target: str, barcodes: list[str] | None) -> list[str]:
    return media_library(workspace, target).label(barcodes)


def tape_scan(workspace: Workspace, target: str, *, full: bool) -> ScanSummary:
    return media_library(workspace, target).scan(full=full)


def tape_export(workspace: Workspace, target: str, barcodes: list[str], vault: str | None) -> tuple[list[str], str]:
    """Export to ``vault`` (the target's only vault when not named); returns what moved and where."""
    spec = workspace.manifest.targets[target]
    vaults = sorted(getattr(spec, "vaults", {}))
    chosen = vault or (vaults[0] if len(vaults) == 1 else None)
    if chosen is None:
        raise UsageError(f"target '{target}' has {len(vaults)} vaults; name one with --vault",
                         hint=f"vaults: {', '.join(vaults) or 'none (add vaults: to the target)'}")
    return media_library(workspace, target).export(barcodes, chosen), chosen


def tape_import(workspace: Workspace, target: str, barcodes: list[str]) -> list[str]:
    return media_library(workspace, target).import_(barcodes)
