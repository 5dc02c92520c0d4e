"""The use cases that the CLI and the tests call: plan, apply, back up now, restore, status.

Each function takes a Workspace (manifest + drivers) and returns data; printing is the
CLI's job. ``now`` is always an argument so that plans can be reproduced.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from bkctl.archiver.progress import Progress
from bkctl.errors import BkctlError, NotFoundError, RepositoryCorruptError, UsageError
from bkctl.model import FilesWorkload, ImageWorkload, SqliteWorkload, TapeTarget, Workload
from bkctl.model.plan import Action, ActionKind, Plan, PlanWarning, PrunedPoint, Reason, WarningKind, combined_exit_code
from bkctl.model.report import Report
from bkctl.model.state import ActualState, PointRecord, TargetState
from bkctl.model.tape_state import TapeState
from bkctl.observe import observation_error, observe
from bkctl.planfile import check_stale
from bkctl.planner import interval_of, make_plan, next_due
from bkctl.planner.drills import newest_drill, pick_point
from bkctl.planner.estate import build_report
from bkctl.planner.protection import evaluate_protection
from bkctl.planner.prunes import MASS_PRUNE_SHARE_MIN_POINTS
from bkctl.reconcile import ApplyResult, Reporter, apply_plan
from bkctl.repo.repair import IndexRepair, PointsRepair
from bkctl.sources.base import Preflight
from bkctl.sources.database_restore import restore_into
from bkctl.sources.environment import child_environment
from bkctl.sources.hooks import hook_problems
from bkctl.sources.registry import source_for
from bkctl.targets.base import (
    CHANGE_KINDS,
    CopyResult,
    DamagedPoints,
    EntryChange,
    KeyRing,
    PointBrowser,
    PointEntry,
    PointFile,
    ReclaimResult,
    RepositoryMaintenance,
    RestoreResult,
    StorageFigures,
    StorageUsage,
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
    "drill",
    "report",
    "FORMAT_VERSION",
    "AmbiguousPointError",
    "ForgetRefusedError",
    "Readable",
    "readable_points",
    "resolve_point",
    "match_point",
    "workload_point",
    "point_browser",
    "PointBrowser",
    "PointEntry",
    "PointFile",
    "EntryChange",
    "CHANGE_KINDS",
    "list_entries",
    "FoundEntry",
    "find_entries",
    "PointComparison",
    "compare_points",
    "dump_file",
    "browsing",
    "entry_dict",
    "change_dict",
    "ForgetRequest",
    "request_forget",
    "forget_refusals",
    "ForgetResult",
    "forget",
    "WorkloadTotals",
    "TargetStats",
    "storage_stats",
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
    drill_seconds: float | None = None  # the newest restore drill in this target: measured RTO
    drill_time: datetime | None = None
    drill_ok: bool | None = None
    drill_objective_seconds: float | None = None  # the policy's RTO
    protection: str = ""  # "3-2-1-1-0: ok", or the failing letters

    @property
    def drill_breached(self) -> bool:
        """The newest drill failed, or took longer than the policy's RTO."""
        if self.drill_ok is False:
            return True
        limit, measured = self.drill_objective_seconds, self.drill_seconds
        return limit is not None and measured is not None and measured > limit

    def as_dict(self) -> dict[str, Any]:
        return {"workload": self.workload, "target": self.target, "host": self.host,
                "newest": self.newest.isoformat() if self.newest else None, "age_seconds": self.age_seconds,
                "objective_seconds": self.objective_seconds, "points": self.points, "bytes": self.bytes,
                "compliant": self.compliant, "note": self.note, "reachable": self.reachable,
                "error_code": self.error_code, "drill_seconds": self.drill_seconds,
                "drill_time": self.drill_time.isoformat() if self.drill_time else None, "drill_ok": self.drill_ok,
                "drill_objective_seconds": self.drill_objective_seconds, "drill_breached": self.drill_breached,
                "protection": self.protection}


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
            rows.append(_with_drill_and_protection(workspace, _status_row(workspace, name, state.targets[target], now),
                                                   state, now))
        for target in _tape_copies_of(workspace, spec.targets):
            row = _status_row(workspace, name, state.targets[target], now, _gfs_objective(workspace, target))
            rows.append(_with_drill_and_protection(workspace, row, state, now))
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


# -- drills, protection and the report (issue 14) ---------------------------------------------


def _with_drill_and_protection(workspace: Workspace, row: StatusRow, state: ActualState, now: datetime) -> StatusRow:
    """A status row with its target's newest drill of the workload and the workload's protection."""
    drill = workspace.manifest.policy_for(row.workload).drill
    newest = newest_drill([state.targets[row.target]], row.workload)
    verdict = evaluate_protection(workspace.manifest, state, row.workload, row.host, now)
    protection = "" if verdict is None else f"{verdict.rule}: " + (
        "met" if verdict.ok else "missing " + ", ".join(f"{x.required} {x.letter}" for x in verdict.failing()))
    return replace(row, drill_objective_seconds=drill.rto.fixed().total_seconds() if drill else None,
                   drill_seconds=newest.result.seconds if newest else None, drill_time=newest.time if newest else None,
                   drill_ok=newest.result.ok if newest else None, protection=protection)


def drill(workspace: Workspace, workload: str, reporter: Reporter, *, target: str | None = None,
          now: datetime) -> ApplyResult:
    """``bkctl drill``: restore one point of ``workload`` into scratch space now, check it, time it.

    The point is the one the policy's ``pick`` chooses (the newest when the policy has no
    drill) in ``target``, else in the first of the workload's targets that holds one. The
    result is recorded in that target's run records like any planned drill.
    """
    workspace.check_workload(workload)
    spec = workspace.manifest.workloads[workload]
    chosen = [target] if target else list(spec.targets)
    policy = workspace.manifest.policy_for(workload).drill
    state = observe_all(workspace, chosen)
    for name in chosen:
        observed = state.targets[name]
        if not observed.reachable:
            raise observation_error(observed)
        points = [p for p in observed.points if p.workload == workload and p.host == workspace.host_of(workload)]
        point = pick_point(points, policy.pick if policy else "latest", workload, now)
        if point is not None:
            action = Action(kind=ActionKind.DRILL, target=name, workload=workload, reason=Reason.FORCED,
                            detail="on demand", points=(PrunedPoint(id=point.id, time=point.time),))
            return apply_plan(workspace, Plan(created=now, now=now, host=workspace.host, actions=(action,)), reporter)
    raise NotFoundError(f"no recovery point of workload '{workload}' to drill in {', '.join(chosen)}",
                        hint=f"back it up first: bkctl backup {workload}")


def report(workspace: Workspace, now: datetime) -> Report:
    """``bkctl report``: the estate at a glance, from the targets' own catalogs and run records.

    Observes every target once and plans from that same state, so the pending plan in the
    report is the plan ``bkctl plan`` would show at ``now`` (its I/O warnings included).
    """
    state = observe_all(workspace)
    made = make_plan(workspace.manifest, state, now, manifest_digest=workspace.loaded.digest)
    chosen = sorted(workspace.manifest.workloads)
    found = tool_warnings(workspace, chosen) + source_warnings(workspace, chosen)
    pending = made.model_copy(update={"warnings": made.warnings + found}) if found else made
    owners = {name: workspace.host_of(name) for name in chosen}
    return build_report(workspace.manifest, state, pending, now, owners)
# -- Browsing, forgetting and storage figures: ls, find, diff, dump, mount, forget, stats --------
# Points are named by id or unique prefix. Drivers take part through capabilities declared
# in bkctl/targets/base.py (PointBrowser, StorageUsage, DamagedPoints); a target lacking one
# is a usage error naming it. A target that cannot be read is left out where the answer
# does not depend on it, and its error is kept so the command can still exit non-zero.

FORMAT_VERSION = 1
"""The ``format_version`` of the JSON that ls, find, diff, forget and stats print."""

DUMP_BLOCK = 1 << 20  # bytes per read while dumping a file: one average chunk
logger = logging.getLogger("bkctl")


class AmbiguousPointError(UsageError):
    reference = "point-ambiguous"


class ForgetRefusedError(UsageError):
    reference = "forget-refused"


@dataclass
class Readable:
    """The points of the targets that could be read, and why the others could not."""

    rows: list[PointRow] = field(default_factory=list)
    damaged: list[tuple[str, str]] = field(default_factory=list)  # (target, point id)
    failures: dict[str, BkctlError] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return combined_exit_code(int(error.exit_code) for error in self.failures.values())


def readable_points(workspace: Workspace, targets: list[str] | None = None) -> Readable:
    """Every point of the named targets (all by default) that can be read; oldest first."""
    found = Readable()
    for name in targets or sorted(workspace.manifest.targets):
        driver = workspace.driver(name)
        try:
            if not driver.initialized():
                continue
            found.rows += [PointRow(name, point) for point in driver.points()]
            if isinstance(driver, DamagedPoints):
                found.damaged += [(name, point_id) for point_id in driver.damaged_point_ids()]
        except BkctlError as error:
            found.failures[name] = error
    found.rows.sort(key=lambda r: (r.point.time, r.target, r.point.id))
    return found


def resolve_point(found: Readable, prefix: str) -> tuple[list[PointRow], list[tuple[str, str]]]:
    """The rows (one per target holding it) or the damaged documents of the one point
    ``prefix`` names: 64 when several points match; 66 when none does (or the error of a
    target that could not be read, which might hold it)."""
    rows = [r for r in found.rows if prefix and r.point.id.startswith(prefix)]
    readable = {r.point.id for r in rows}
    broken = [(t, i) for t, i in found.damaged if prefix and i.startswith(prefix) and i not in readable]
    ids = sorted(readable | {i for _, i in broken})
    if len(ids) > 1:
        raise AmbiguousPointError(f"recovery point prefix '{prefix}' is ambiguous: {', '.join(i[:12] for i in ids)}",
                                  hint="give more characters of the id")
    if not ids:
        if found.failures:
            raise next(iter(found.failures.values()))
        raise NotFoundError(f"no recovery point '{prefix}'", hint="list them with: bkctl points")
    return rows, broken


def match_point(found: Readable, prefix: str) -> list[PointRow]:
    """Like :func:`resolve_point`, for reading: a point whose document is damaged is 67."""
    rows, broken = resolve_point(found, prefix)
    if not rows:
        raise RepositoryCorruptError(f"recovery point {broken[0][1]} in target '{broken[0][0]}' is damaged "
                                     "and cannot be read",
                                     hint="`bkctl repair points` may restore it; `bkctl forget` removes it")
    return rows


def workload_point(workspace: Workspace, workload: str, *, point: str | None, target: str | None) -> PointRow:
    """A workload's point by id (prefix), or its newest one, in its targets or ``target``."""
    workspace.check_workload(workload)
    targets = [target] if target else list(workspace.manifest.workloads[workload].targets)
    found = readable_points(workspace, targets)
    host = workspace.host_of(workload)
    found.rows = [r for r in found.rows if r.point.workload == workload and r.point.host == host]
    if point:
        return match_point(found, point)[0]
    if not found.rows:
        if found.failures:
            raise next(iter(found.failures.values()))
        raise NotFoundError(f"workload '{workload}' has no recovery point yet",
                            hint=f"back it up with: bkctl backup {workload}")
    for name, error in found.failures.items():
        logger.warning("warning: target '%s' could not be read (%s); the newest point of the other targets "
                       "is used", name, error.message)
    return found.rows[-1]


def point_browser(workspace: Workspace, target: str) -> PointBrowser:
    driver = workspace.driver(target)
    if not isinstance(driver, PointBrowser):
        raise UsageError(f"the points of target '{target}' cannot be browsed by this version of bkctl",
                         hint="restore the point instead: bkctl restore WORKLOAD --to DIR")
    return driver


def list_entries(workspace: Workspace, row: PointRow, path: str = "/") -> list[PointEntry]:
    """What lies below ``path`` in a point (every level), or the entry at ``path`` itself."""
    browser = point_browser(workspace, row.target)
    with browser.reading():
        return list(browser.point_entries(row.point.id, path))


@dataclass(frozen=True)
class FoundEntry:
    row: PointRow
    entry: PointEntry

    def as_dict(self) -> dict[str, Any]:
        point = self.row.point
        return {"point": point.id, "time": point.time.isoformat(), "workload": point.workload, "host": point.host,
                "target": self.row.target, **entry_dict(self.entry)}


def find_entries(workspace: Workspace, pattern: str, *, workload: str | None = None,
                 target: str | None = None) -> tuple[list[FoundEntry], Readable]:
    """Entries whose name (or path, when ``pattern`` holds a ``/``) matches the glob, in
    every point of the readable targets; a point kept in several targets is searched once."""
    if workload:
        workspace.check_workload(workload)
    found = readable_points(workspace, [target] if target else None)
    seen: set[str] = set()
    matches: list[FoundEntry] = []
    for row in found.rows:
        if row.point.id in seen or (workload and row.point.workload != workload):
            continue
        seen.add(row.point.id)
        browser = point_browser(workspace, row.target)
        with browser.reading():
            matches += [FoundEntry(row, entry) for entry in browser.point_entries(row.point.id)
                        if _glob_matches(pattern, entry)]
    return matches, found


def _glob_matches(pattern: str, entry: PointEntry) -> bool:
    """fnmatch rules (``*`` also crosses ``/``): the name; with a ``/``, the path, anchored
    at the root when the pattern starts with one, else at any folder (``data/*.txt``)."""
    if pattern.startswith("/"):
        return fnmatch.fnmatchcase(entry.path, pattern)
    if "/" in pattern:
        return fnmatch.fnmatchcase(entry.path, "*/" + pattern)
    return fnmatch.fnmatchcase(entry.name, pattern)


@dataclass(frozen=True)
class PointComparison:
    target: str
    old: PointRow
    new: PointRow
    changes: list[EntryChange]

    def as_dict(self) -> dict[str, Any]:
        counts = {kind: sum(c.kind == kind for c in self.changes) for kind in CHANGE_KINDS}
        return {"format_version": FORMAT_VERSION, "target": self.target, "old": self.old.as_dict(),
                "new": self.new.as_dict(), "summary": {**counts, **self.sizes()},
                "changes": [change_dict(c) for c in self.changes]}

    def sizes(self) -> dict[str, int]:
        """Bytes of the files added and removed (a type change counts as both)."""
        added = sum(c.new.size for c in self.changes if c.new and c.kind in ("added", "type"))
        removed = sum(c.old.size for c in self.changes if c.old and c.kind in ("removed", "type"))
        return {"added_bytes": added, "removed_bytes": removed}


def compare_points(workspace: Workspace, old: str, new: str, *, target: str | None = None) -> PointComparison:
    """The changes from point ``old`` to point ``new``, read in one target holding both."""
    found = readable_points(workspace, [target] if target else None)
    old_rows, new_rows = match_point(found, old), match_point(found, new)
    common = [r for r in old_rows if r.target in {n.target for n in new_rows}]
    if not common:
        raise UsageError(f"points {old_rows[0].point.id[:8]} and {new_rows[0].point.id[:8]} are in no common target",
                         hint="diff compares two points of one repository; copy them into one with a replica")
    first, name = common[0], common[0].target
    second = next(r for r in new_rows if r.target == name)
    browser = point_browser(workspace, name)
    with browser.reading():
        return PointComparison(name, first, second, list(browser.point_changes(first.point.id, second.point.id)))


def dump_file(workspace: Workspace, row: PointRow, path: str, out: BinaryIO) -> int:
    """Write one file of a point to ``out``; returns its size. A folder is a usage error."""
    browser = point_browser(workspace, row.target)
    with browser.reading():
        entry = browser.point_entry(row.point.id, path)
        if entry.type != "file":
            raise UsageError(f"{entry.path} is a {'folder' if entry.type == 'dir' else entry.type}, not a file",
                             hint=f"list it with: bkctl ls {row.point.workload} {entry.path}")
        content = browser.open_point_file(row.point.id, path)
        written = 0
        while written < content.size:
            block = content.read(written, DUMP_BLOCK)
            if not block:
                break
            out.write(block)
            written += len(block)
    return written


@contextmanager
def browsing(workspace: Workspace, workload: str, *,
             target: str | None) -> Iterator[tuple[list[PointRow], PointBrowser]]:
    """A workload's points in one target and the browser to read them, for a mount's lifetime
    (the repository's shared lock is held the whole time, so no reclaim deletes their data)."""
    workspace.check_workload(workload)
    name = target or workspace.manifest.workloads[workload].targets[0]
    browser = point_browser(workspace, name)
    host = workspace.host_of(workload)
    rows = [r for r in list_points(workspace, workload=workload, target=name) if r.point.host == host]
    with browser.reading():
        yield rows, browser


def entry_dict(entry: PointEntry) -> dict[str, Any]:
    mtime = datetime.fromtimestamp(entry.mtime_ns / 1e9, UTC).isoformat()
    return {"path": entry.path, "type": entry.type, "mode": f"{entry.mode:04o}", "size": entry.size,
            "mtime": mtime, "uid": entry.uid, "gid": entry.gid, "user": entry.user, "group": entry.group,
            **({"link_target": entry.link_target} if entry.type == "symlink" else {})}


def change_dict(change: EntryChange) -> dict[str, Any]:
    """One change for JSON; ``type`` is the entry's type now (before, when it was removed)."""
    kind = change.new.type if change.new is not None else change.old.type if change.old is not None else ""
    return {"change": change.kind, "path": change.path, "type": kind,
            "old_size": change.old.size if change.old else None, "new_size": change.new.size if change.new else None}


@dataclass
class ForgetRequest:
    """What ``forget`` would delete: readable points per target, damaged documents, and the
    targets that could not be read (a copy they hold stays)."""

    rows: list[PointRow]
    damaged: list[tuple[str, str]]
    failures: dict[str, BkctlError]


def request_forget(workspace: Workspace, ids: list[str], *, target: str | None = None, allow_last: bool = False,
                   allow_mass_prune: bool = False) -> ForgetRequest:
    """Resolve ``ids`` (ids or unique prefixes) in every target holding them, then apply
    prune's rails: settings.max_prune_per_apply and the more-than-half share need
    ``allow_mass_prune``; leaving a workload with no complete point in a target needs
    ``allow_last``. Damaged documents are outside the rails: no one can restore them."""
    found = readable_points(workspace, [target] if target else None)
    rows: dict[tuple[str, str], PointRow] = {}
    damaged: set[tuple[str, str]] = set()
    for prefix in ids:
        matched, broken = resolve_point(found, prefix)
        rows.update({(r.target, r.point.id): r for r in matched})
        damaged.update(broken)
    request = ForgetRequest(sorted(rows.values(), key=lambda r: (r.point.time, r.target)), sorted(damaged),
                            found.failures)
    refusals = forget_refusals(request.rows, found.rows, limit=workspace.manifest.settings.max_prune_per_apply,
                               allow_last=allow_last, allow_mass_prune=allow_mass_prune)
    if refusals:
        raise ForgetRefusedError("; ".join(refusals), hint="nothing was deleted")
    return request


def forget_refusals(doomed_rows: list[PointRow], held_rows: list[PointRow], *, limit: int, allow_last: bool,
                    allow_mass_prune: bool) -> list[str]:
    """Why deleting ``doomed_rows`` out of ``held_rows`` is refused (none: it may go ahead)."""
    refusals = []
    if len(doomed_rows) > limit and not allow_mass_prune:
        refusals.append(f"forgetting {len(doomed_rows)} recovery points is more than settings.max_prune_per_apply "
                        f"({limit}); pass --allow-mass-prune")
    doomed = {(r.target, r.point.id) for r in doomed_rows}
    groups: dict[tuple[str, str, str], list[PointRow]] = {}
    for row in held_rows:
        groups.setdefault((row.target, row.point.workload, row.point.host), []).append(row)
    for (target, workload, host), held in sorted(groups.items()):
        gone = [r for r in held if (r.target, r.point.id) in doomed]
        kept_complete = [r for r in held if not r.point.partial and (r.target, r.point.id) not in doomed]
        where = f"workload '{workload}' (host {host}) in target '{target}'"
        if gone and len(held) >= MASS_PRUNE_SHARE_MIN_POINTS and len(gone) * 2 > len(held) and not allow_mass_prune:
            refusals.append(f"forgetting {len(gone)} of the {len(held)} points of {where} is more than half; "
                            "pass --allow-mass-prune")
        if gone and not kept_complete and any(not r.point.partial for r in gone) and not allow_last:
            refusals.append(f"{where} would keep no complete recovery point; pass --allow-last")
    return refusals


@dataclass
class ForgetResult:
    deleted: list[PointRow] = field(default_factory=list)
    removed_damaged: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, "deleted": [r.as_dict() for r in self.deleted],
                "removed_damaged": [{"target": t, "id": i} for t, i in self.removed_damaged]}


def forget(workspace: Workspace, request: ForgetRequest) -> ForgetResult:
    """Delete the point documents ``request`` names; their data goes in a later reclaim."""
    result = ForgetResult()
    for name in sorted({r.target for r in request.rows} | {t for t, _ in request.damaged}):
        rows = [r for r in request.rows if r.target == name]
        if rows:
            workspace.driver(name).delete_points([r.point.id for r in rows])
            result.deleted += rows
        broken = [i for t, i in request.damaged if t == name]
        driver = workspace.driver(name)
        if broken and isinstance(driver, DamagedPoints):
            result.removed_damaged += [(name, i) for i in driver.remove_damaged_points(broken)]
    return result


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


def _target_stats(workspace: Workspace, name: str) -> TargetStats:
    driver = workspace.driver(name)
    try:
        if not driver.initialized():
            return TargetStats(name, initialized=False)
        points = driver.points()
        figures = driver.storage_figures() if isinstance(driver, StorageUsage) else None
        damaged = len(driver.damaged_point_ids()) if isinstance(driver, DamagedPoints) else 0
    except BkctlError as error:
        return TargetStats(name, error=error.message, error_code=int(error.exit_code))
    groups: dict[tuple[str, str], list[PointRecord]] = {}
    for point in points:
        groups.setdefault((point.workload, point.host), []).append(point)
    totals = tuple(WorkloadTotals(workload, host, len(held), sum(p.partial for p in held), sum(p.bytes for p in held),
                                  sum(p.new_bytes for p in held), sum(p.stored_bytes for p in held),
                                  max(p.time for p in held)) for (workload, host), held in sorted(groups.items()))
    return TargetStats(name, figures=figures, workloads=totals, damaged_points=damaged)


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
