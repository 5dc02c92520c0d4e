"""Planning and applying: observe the targets, plan purely, check what only I/O can know, apply.

``now`` is always an argument so that plans can be reproduced.
"""

from __future__ import annotations

from datetime import datetime

from bkctl.errors import BkctlError, NotFoundError
from bkctl.model import FilesWorkload, ImageWorkload, SqliteWorkload, Workload
from bkctl.model.plan import Action, ActionKind, Plan, PlanWarning, Reason, WarningKind
from bkctl.model.state import ActualState
from bkctl.observe import observation_error, observe
from bkctl.planfile import check_stale
from bkctl.planner import make_plan
from bkctl.reconcile import ApplyResult, Reporter, apply_plan
from bkctl.sources.base import Preflight
from bkctl.sources.environment import child_environment
from bkctl.sources.hooks import hook_problems
from bkctl.sources.registry import source_for
from bkctl.workspace import Workspace


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


