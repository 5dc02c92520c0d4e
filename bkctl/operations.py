"""The use cases that the CLI and the tests call: plan, apply, back up now, restore, status.

Each function takes a Workspace (manifest + drivers) and returns data; printing is the
CLI's job. ``now`` is always an argument so that plans can be reproduced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from bkctl.archiver.progress import Progress
from bkctl.errors import BkctlError, NotFoundError, UsageError
from bkctl.model import FilesWorkload, ImageWorkload, SqliteWorkload, TapeTarget, Workload
from bkctl.model.plan import Action, ActionKind, Plan, PlanWarning, Reason, WarningKind
from bkctl.model.state import ActualState, PointRecord, TargetState
from bkctl.model.tape_state import TapeState
from bkctl.observe import observation_error, observe
from bkctl.planfile import check_stale
from bkctl.planner import interval_of, make_plan, next_due
from bkctl.reconcile import ApplyResult, Reporter, apply_plan
from bkctl.repo.repair import IndexRepair, PointsRepair
from bkctl.sources.base import Preflight
from bkctl.sources.database_restore import restore_into
from bkctl.sources.environment import child_environment
from bkctl.sources.hooks import hook_problems
from bkctl.sources.registry import source_for
from bkctl.targets.base import (
    CopyResult,
    KeyRing,
    ReclaimResult,
    RepositoryMaintenance,
    RestoreResult,
    VerifyResult,
)
from bkctl.targets.media import MediaLibrary, RestoreMap, ScanSummary
from bkctl.workspace import Workspace

__all__ = [
    "plan",
    "tool_warnings",
    "source_warnings",
    "apply_saved",
    "apply_plan",
    "ApplyResult",
    "backup_now",
    "list_points",
    "choose_point",
    "restore",
    "restore_stream",
    "restore_into_database",
    "verify",
    "key_ring",
    "status",
    "StatusRow",
    "PointRow",
    "reclaim",
    "repair_index",
    "repair_points",
    "unlock",
    "repository_targets",
    "media_library",
    "restore_map",
    "copy_points",
    "tape_status",
    "tape_label",
    "tape_scan",
    "tape_export",
    "tape_import",
]


def observe_all(workspace: Workspace, targets: list[str] | None = None) -> ActualState:
    return observe(workspace.drivers(targets), workspace.host)


def plan(workspace: Workspace, now: datetime, *, targets: list[str] | None = None,
         workloads: list[str] | None = None, replace: list[str] | None = None,
         prune_orphans: bool = False) -> Plan:
    """Observe the targets, then plan purely from (manifest, state, now)."""
    for name in [*(workloads or []), *(replace or [])]:
        workspace.check_workload(name)
    state = observe_all(workspace, targets)
    made = make_plan(workspace.manifest, state, now, targets=set(targets) if targets else None,
                     workloads=set(workloads) if workloads else None, replace=set(replace or ()),
                     prune_orphans=prune_orphans, manifest_digest=workspace.loaded.digest)
    chosen = workloads or sorted(workspace.manifest.workloads)
    found = tool_warnings(workspace, chosen) + source_warnings(workspace, chosen)
    return made.model_copy(update={"warnings": made.warnings + found}) if found else made


def source_warnings(workspace: Workspace, workloads: list[str]) -> tuple[PlanWarning, ...]:
    """Source paths (files, sqlite, image) that do not exist: the backup would fail (66).

    Like tool_warnings, the I/O half of planning, so the operator reads it in the plan a
    reviewer sees rather than in the log of the apply that fails.
    """
    found: list[PlanWarning] = []
    for name in workloads:
        for value in _source_paths(workspace.manifest.workloads[name]):
            path = workspace.loaded.resolve_path("workloads", name, value)
            if not path.exists() and not path.is_symlink():
                found.append(PlanWarning(kind=WarningKind.SOURCE_MISSING, workload=name,
                                         message=f"workload '{name}': source path {path} does not exist; "
                                                 "its backup would fail"))
    return tuple(found)


def tool_warnings(workspace: Workspace, workloads: list[str]) -> tuple[PlanWarning, ...]:
    """Missing or too-old dump tools, unreachable database servers and hook programs that
    cannot be found, found before a backup is due.

    This is the I/O half of planning (make_plan stays pure); the backup itself fails
    with ToolMissingError (or HookFailedError) on the same findings.
    """
    found: list[PlanWarning] = []
    for name in workloads:
        hooks = workspace.manifest.workloads[name].hooks
        for problem in hook_problems(hooks, environment=child_environment(workspace.manifest, name)):
            found.append(PlanWarning(kind=WarningKind.TOOL_MISSING, workload=name,
                                     message=f"workload '{name}': {problem}"))
        try:
            source = source_for(workspace.loaded, name)
        except BkctlError:
            continue  # an unsupported workload is reported by the backup action itself
        for problem in source.problems() if isinstance(source, Preflight) else []:
            found.append(PlanWarning(kind=WarningKind.TOOL_MISSING, workload=name,
                                     message=f"workload '{name}' cannot be backed up: {problem}"))
    return tuple(found)


def _source_paths(spec: Workload) -> list[str]:
    if isinstance(spec, FilesWorkload):
        return list(spec.paths)
    if isinstance(spec, SqliteWorkload | ImageWorkload):
        return [spec.path]
    return []


def apply_saved(workspace: Workspace, saved: Plan, reporter: Reporter, *,
                allow_mass_prune: bool = False) -> ApplyResult:
    """Apply a saved plan after checking that neither the manifest nor any target moved."""
    state = observe_all(workspace, sorted(saved.fingerprints) or None)
    check_stale(saved, workspace.loaded.digest, state)
    return apply_plan(workspace, saved, reporter, allow_mass_prune=allow_mass_prune)


def backup_now(workspace: Workspace, workload: str, reporter: Reporter, *, target: str | None = None,
               now: datetime) -> ApplyResult:
    """Azure's "Back up now": back up one workload at once, initialising its targets if needed."""
    workspace.check_workload(workload)
    spec = workspace.manifest.workloads[workload]
    chosen = [target] if target else list(spec.targets)
    for name in chosen:
        if name not in spec.targets:
            raise NotFoundError(f"workload '{workload}' is not stored in target '{name}'",
                                hint=f"its targets: {', '.join(spec.targets)}")
    state = observe_all(workspace, chosen)
    actions: list[Action] = []
    for name in chosen:
        observed = state.targets[name]
        if observed.reachable and not observed.initialized:
            actions.append(Action(kind=ActionKind.INIT_TARGET, target=name, reason=Reason.TARGET_NOT_INITIALISED))
        if not observed.reachable:
            raise observation_error(observed)
        actions.append(Action(kind=ActionKind.BACKUP, target=name, workload=workload, reason=Reason.FORCED,
                              detail="on demand"))
    on_demand = Plan(created=now, now=now, host=workspace.host, actions=tuple(actions))
    return apply_plan(workspace, on_demand, reporter)


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
            raise NotFoundError(f"recovery point prefix '{point}' is ambiguous", hint="give more characters")
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


@dataclass(frozen=True)
class StatusRow:
    """One workload in one target. ``points`` and ``bytes`` are None when the target could
    not be read (unknown, not zero); ``error_code`` is then the failure's exit code."""

    workload: str
    target: str
    host: str
    newest: datetime | None
    age_seconds: float | None
    objective_seconds: float | None
    points: int | None
    bytes: int | None
    compliant: bool | None  # None: a workload this manifest does not manage (--all-hosts)
    note: str
    reachable: bool = True
    error_code: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"workload": self.workload, "target": self.target, "host": self.host,
                "newest": self.newest.isoformat() if self.newest else None, "age_seconds": self.age_seconds,
                "objective_seconds": self.objective_seconds, "points": self.points, "bytes": self.bytes,
                "compliant": self.compliant, "note": self.note, "reachable": self.reachable,
                "error_code": self.error_code}


def status(workspace: Workspace, now: datetime, *, all_hosts: bool = False) -> list[StatusRow]:
    """Per workload and target: newest good point, its age, the objective, compliant or not.

    The objective (RPO) is the schedule's interval; a point is in breach when the next
    backup was due and has not happened within one more interval (same rule as plan's
    RPO-breach warning, so CI's `status --check` and plan agree). Replicas get rows of
    their own. ``all_hosts`` adds every (host, workload) the targets' catalogs hold that
    this manifest does not manage: the central view of a vault shared by many hosts.
    """
    state = observe_all(workspace)
    rows = []
    for name, spec in sorted(workspace.manifest.workloads.items()):
        replicas = [workspace.manifest.targets[t].replica for t in spec.targets]
        for target in dict.fromkeys([*spec.targets, *(r for r in replicas if r is not None)]):
            rows.append(_status_row(workspace, name, state.targets[target], now))
        for target in _tape_copies_of(workspace, spec.targets):
            rows.append(_status_row(workspace, name, state.targets[target], now, _gfs_objective(workspace, target)))
    return rows + (_unmanaged_rows(state, rows, now) if all_hosts else [])


def _tape_copies_of(workspace: Workspace, targets: list[str]) -> list[str]:
    """Tape targets that copy from one of ``targets`` (GFS): they hold the workload's points too."""
    return sorted(name for name, spec in workspace.manifest.targets.items()
                  if isinstance(spec, TapeTarget) and spec.copy_from in targets)


def _gfs_objective(workspace: Workspace, target: str) -> timedelta:
    """A GFS tape gets the point of a week once the week is over: two periods of its most frequent level."""
    spec = workspace.manifest.targets[target]
    levels = [p.receives for p in getattr(spec, "pools", {}).values() if p.receives]
    days = min(({"weekly": 7, "monthly": 31, "yearly": 366}[level] for level in levels), default=7)
    return timedelta(days=2 * days)


def _status_row(workspace: Workspace, workload: str, observed: TargetState, now: datetime,
                objective: timedelta | None = None) -> StatusRow:
    schedule = workspace.manifest.policy_for(workload).schedule
    host = workspace.host_of(workload)
    interval = objective or interval_of(schedule, now)
    if not observed.reachable:
        return StatusRow(workload, observed.name, host, None, None, interval.total_seconds(), None, None, False,
                         f"unreachable: {observed.error}", reachable=False, error_code=observed.error_code or 1)
    points = [p for p in observed.points if p.workload == workload and p.host == host]
    newest = max((p.time for p in points if not p.partial), default=None)
    interval = objective or interval_of(schedule, newest or now)
    due = newest if objective else next_due(schedule, newest)
    if newest is None:
        compliant, note = False, "never backed up"
    else:
        compliant = due is None or now < due + interval
        note = "" if compliant else "recovery point objective breached"
    return StatusRow(workload, observed.name, host, newest, (now - newest).total_seconds() if newest else None,
                     interval.total_seconds(), len(points), sum(p.bytes for p in points), compliant, note)


def _unmanaged_rows(state: ActualState, managed: list[StatusRow], now: datetime) -> list[StatusRow]:
    """Rows for catalog entries of other hosts or workloads; no objective is known for them."""
    seen = {(r.host, r.workload, r.target) for r in managed}
    groups: dict[tuple[str, str, str], list[PointRecord]] = {}
    for target, observed in sorted(state.targets.items()):
        for point in observed.points:
            key = (point.host, point.workload, target)
            if key not in seen:
                groups.setdefault(key, []).append(point)
    rows = []
    for (host, workload, target), points in sorted(groups.items()):
        newest = max((p.time for p in points if not p.partial), default=None)
        rows.append(StatusRow(workload, target, host, newest,
                              (now - newest).total_seconds() if newest else None, None, len(points),
                              sum(p.bytes for p in points), None, "unmanaged"))
    return rows


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


# -- tape ------------------------------------------------------------------------------------


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
