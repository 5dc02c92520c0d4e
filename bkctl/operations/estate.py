"""Restore drills on demand and the estate report (issue 14)."""

from __future__ import annotations

from datetime import datetime

from bkctl.errors import NotFoundError
from bkctl.model.plan import Action, ActionKind, Plan, PrunedPoint, Reason
from bkctl.model.report import Report
from bkctl.observe import observation_error
from bkctl.operations.planning import observe_all, source_warnings, tool_warnings
from bkctl.planner import make_plan
from bkctl.planner.drills import pick_point
from bkctl.planner.estate import build_report
from bkctl.reconcile import ApplyResult, Reporter, apply_plan
from bkctl.workspace import Workspace


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
        points = observed.points_of(workload, workspace.host_of(workload))
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
