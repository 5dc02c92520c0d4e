"""make_plan: the one pure function from (manifest, actual state, now) to a Plan.

No clock, environment or I/O here: ``now`` is an argument, so a plan can be reproduced
(``bkctl plan --now``) and tested. Output order is fixed: init-target, backups (by
workload, then target), copies, prunes, extend-locks, reclaims, verifies, drills; warnings follow targets
in name order, then drill, protection (3-2-1-1-0) and early-deletion warnings by workload.
Cost estimates come with the plan when the manifest prices a target.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence, Set
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from bkctl.model.definition import definition_digest
from bkctl.model.manifest import Manifest
from bkctl.model.plan import Action, ActionKind, ErrorKind, Plan, PlanError, PlanWarning, Reason, WarningKind
from bkctl.model.policy import Retention
from bkctl.model.state import ActualState, PointRecord, TargetState
from bkctl.model.target import TapeTarget, VaultTarget
from bkctl.model.units import format_size
from bkctl.planner.append_only import deletes_refused, hold_append_only_prunes
from bkctl.planner.backups import newest_good, plan_backup, rpo_warning
from bkctl.planner.copies import ReplicaJob, plan_replica, unreachable_replica_warning
from bkctl.planner.cost import estimate_costs
from bkctl.planner.drills import plan_drills
from bkctl.planner.locks import LockJob, hold_locked_prunes, plan_extend_lock
from bkctl.planner.protection import protection_warnings
from bkctl.planner.prunes import mass_prune_warnings, plan_orphans, plan_prune
from bkctl.planner.roles import hold_for_roles
from bkctl.planner.schedule import interval_of, zone_of
from bkctl.planner.tape import describe_library, plan_tape_copies, plan_tape_media, tape_prunes
from bkctl.planner.verify import plan_verify

__all__ = ["make_plan"]

_ORDER = list(ActionKind)


@dataclass
class _Draft:
    actions: list[Action] = field(default_factory=list)
    warnings: list[PlanWarning] = field(default_factory=list)
    errors: list[PlanError] = field(default_factory=list)
    # Points each (target, workload) holds, for the mass-prune share of its prune action.
    history: dict[tuple[str, str], int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Scope:
    manifest: Manifest
    state: ActualState
    now: datetime
    workloads: Set[str] | None
    replace: Set[str]
    prune_orphans: bool
    definitions: dict[str, str] = field(default_factory=dict)

    def definition(self, workload: str) -> str:
        """The digest of a workload's definition, made once per plan rather than once per target."""
        if workload not in self.definitions:
            self.definitions[workload] = definition_digest(self.manifest.workloads[workload])
        return self.definitions[workload]

    def owner(self, workload: str) -> str:
        """The host whose points belong to a workload (its own host, else this host)."""
        return self.manifest.workloads[workload].host or self.state.host

    def on_target(self, target: str) -> list[str]:
        return sorted(n for n, w in self.manifest.workloads.items() if target in w.targets)

    def selected(self, workload: str) -> bool:
        return self.workloads is None or workload in self.workloads

    def replicated_into(self, target: str) -> list[str]:
        """Workloads whose points reach ``target`` as copies from the targets it replicates
        (or, for a tape target, the target it copies from)."""
        sources = {n for n, t in self.manifest.targets.items() if t.replica == target}
        spec = self.manifest.targets[target]
        if isinstance(spec, TapeTarget) and spec.copy_from is not None:
            sources.add(spec.copy_from)
        return sorted({w for s in sources for w in self.on_target(s)})


def make_plan(
    manifest: Manifest,
    state: ActualState,
    now: datetime,
    *,
    targets: Set[str] | None = None,
    workloads: Set[str] | None = None,
    replace: Set[str] = frozenset(),
    prune_orphans: bool = False,
    manifest_digest: str = "",
) -> Plan:
    """The actions that take ``state`` to what ``manifest`` asks for at ``now``.

    ``targets``/``workloads`` narrow the plan; ``replace`` forces backups of the named
    workloads; ``prune_orphans`` deletes points of workloads the manifest no longer
    stores in a target (otherwise they are only warned about).
    """
    with _collector_paused():
        scope = _Scope(manifest, state, now, workloads, frozenset(replace), prune_orphans)
        return _make_plan(scope, targets, manifest_digest)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while planning; it changes when memory is freed, never the plan.

    A plan of 100,000 pruned points allocates some 10 objects per point, and every few
    hundred allocations the collector rescanned the observed state (also hundreds of
    thousands of objects): 75 % of planning time (bench/planner_bench.py: 3.7 s -> 0.95 s
    for 1,000 workloads x 3 targets x 100 points). Planning makes few reference cycles,
    and those are collected once the collector runs again.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        _promote_young()
        gc.enable()


def _promote_young() -> None:
    """Move the objects made while planning to the collector's oldest generation.

    Re-enabled, the collector would start with a young-generation pass over every object
    the plan allocated (the plan itself: ~4 per pruned point), a fifth of planning time
    for 195,000 pruned points. Freezing then unfreezing files them in the oldest
    generation without that pass; cycles among them are still found by the next full
    collection (so are those of any other young object of the process, which moves too).
    Skipped when the program froze objects itself (unfreezing would undo it).
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def _make_plan(scope: _Scope, targets: Set[str] | None, manifest_digest: str) -> Plan:
    manifest, state, now = scope.manifest, scope.state, scope.now
    draft = _Draft()
    chosen = sorted(t for t in manifest.targets if targets is None or t in targets)
    for name in chosen:
        _plan_target(scope, name, state.targets.get(name), draft)
    for name in chosen:
        _plan_copies(scope, name, set(chosen), draft)
    for name in chosen:
        _plan_tape_media(scope, name, draft)
    mass = mass_prune_warnings(draft.actions, manifest.settings.max_prune_per_apply, draft.history)
    draft.warnings.extend(mass)
    owners = {w: scope.owner(w) for w in sorted(manifest.workloads) if scope.selected(w)}
    drills, drill_warnings = plan_drills(manifest, state, now, set(chosen), owners)
    draft.actions.extend(drills)
    draft.warnings.extend([*drill_warnings, *protection_warnings(manifest, state, owners, now)])
    draft.actions, role_warnings = hold_for_roles(draft.actions, state.targets)
    draft.warnings.extend(role_warnings)
    costs, cost_warnings = estimate_costs(manifest, state, draft.actions, chosen, owners, now)
    draft.warnings.extend(cost_warnings)
    return Plan(
        created=now,
        now=now,
        host=state.host,
        manifest_digest=manifest_digest,
        fingerprints={n: state.targets[n].token() for n in chosen if n in state.targets},
        actions=tuple(sorted(draft.actions, key=_action_order)),
        warnings=tuple(draft.warnings),
        errors=tuple(draft.errors),
        needs_confirmation=bool(mass),
        costs=tuple(costs),
    )


def _action_order(action: Action) -> tuple[int, str, str]:
    position = _ORDER.index(action.kind)
    if action.kind == ActionKind.BACKUP:
        return position, action.workload or "", action.target
    return position, action.target, action.workload or ""


def _plan_target(scope: _Scope, name: str, observed: TargetState | None, draft: _Draft) -> None:
    if observed is None or not observed.reachable:
        draft.errors.append(_unreachable(name, observed))
        return
    for lock in observed.locks:
        draft.warnings.append(
            PlanWarning(
                kind=WarningKind.LOCK_HELD,
                target=name,
                message=f"target '{name}' has a lock held: {lock}",
            )
        )
    if not observed.initialized:
        draft.actions.append(
            Action(
                kind=ActionKind.INIT_TARGET,
                target=name,
                reason=Reason.TARGET_NOT_INITIALISED,
                detail=_init_detail(scope.manifest.targets[name]),
            )
        )
    if observed.damaged_points:
        draft.warnings.append(
            PlanWarning(
                kind=WarningKind.DAMAGED_POINTS,
                target=name,
                message=f"target '{name}' has {len(observed.damaged_points)} damaged recovery point "
                f"document(s) ({', '.join(p[:8] for p in observed.damaged_points)}); run `bkctl verify`, then "
                "`bkctl repair points`",
            )
        )
    before = len(draft.actions)
    _plan_workloads(scope, name, observed, draft)
    _plan_orphans(scope, name, observed, draft)
    _hold_locked(scope, observed, draft, before)
    _hold_append_only(observed, draft, before)
    reclaim = _reclaim_action(scope, name, observed, pruned=any(
        a.kind == ActionKind.PRUNE for a in draft.actions[before:]) and not _is_tape(scope, name))
    if reclaim is not None:
        draft.actions.append(reclaim)
    if observed.key_rotation:
        draft.actions.append(Action(kind=ActionKind.REENCRYPT, target=name, reason=Reason.KEY_ROTATION,
                                    detail=f"re-encrypt what older key epochs sealed ({observed.key_rotation}), "
                                    "then retire them"))
    if observed.initialized and scope.workloads is None:
        policies = [scope.manifest.policy_for(w) for w in scope.on_target(name)]
        verify = plan_verify(name, policies, observed.last_verified, scope.now)
        if verify is not None:
            draft.actions.append(verify)


def _hold_locked(scope: _Scope, observed: TargetState, draft: _Draft, start: int) -> None:
    """Take the points whose object lock holds out of the prunes planned from ``start`` on."""
    if not observed.object_locks:
        return
    kept: list[Action] = []
    for action in draft.actions[start:]:
        if action.kind != ActionKind.PRUNE or action.target != observed.name:
            kept.append(action)
            continue
        remaining, warning = hold_locked_prunes(action, observed.object_locks, scope.now)
        kept.extend([remaining] if remaining is not None else [])
        draft.warnings.extend([warning] if warning is not None else [])
    draft.actions[start:] = kept


def _hold_append_only(observed: TargetState, draft: _Draft, start: int) -> None:
    """Take the prunes an append-only target refuses to this run's key out of those planned from ``start`` on."""
    kept, warnings = hold_append_only_prunes(draft.actions[start:], observed)
    draft.actions[start:] = kept
    draft.warnings.extend(warnings)


def _extend_lock(scope: _Scope, target: str, workload: str, retention: Retention,
                 points: Sequence[PointRecord]) -> Action | None:
    """``extend-lock`` for the points of a workload in a vault with ``immutable`` (None elsewhere)."""
    spec = scope.manifest.targets[target]
    observed = scope.state.targets[target]
    if not isinstance(spec, VaultTarget) or spec.immutable is None or not observed.initialized:
        return None
    schedule = scope.manifest.policy_for(workload).schedule
    return plan_extend_lock(LockJob(workload=workload, target=target, retention=retention, zone=zone_of(schedule),
                                    interval=interval_of(schedule, scope.now), points=points,
                                    locks=observed.object_locks, now=scope.now))


def _is_tape(scope: _Scope, name: str) -> bool:
    """Tape frees nothing by reclaim: cartridges are recycled when a write needs one."""
    return isinstance(scope.manifest.targets[name], TapeTarget)


def _init_detail(spec: object) -> str:
    if isinstance(spec, TapeTarget):
        return describe_library(spec)
    return f"create the {getattr(spec, 'type', 'disk')} repository"


def _reclaim_action(scope: _Scope, name: str, observed: TargetState, *, pruned: bool) -> Action | None:
    """Reclaim after prunes (it marks their data), or when marked data is ripe for deletion; never
    where this run's key may not delete (an append-only target opened without the owner key)."""
    if deletes_refused(observed):
        return None
    if pruned:
        return Action(kind=ActionKind.RECLAIM, target=name, reason=Reason.UNREFERENCED_DATA,
                      detail="mark data no remaining recovery point references (a later reclaim deletes it)")
    ready = observed.reclaim_ready
    if scope.workloads is None and ready is not None and scope.now >= ready:
        return Action(kind=ActionKind.RECLAIM, target=name, reason=Reason.MARKED_DATA,
                      detail=f"delete {format_size(observed.marked_bytes)} marked by an earlier reclaim")
    return None


def _unreachable(name: str, observed: TargetState | None) -> PlanError:
    """A target that could not be read is an error of the plan, never a quiet "No changes."."""
    why = observed.error if observed is not None and observed.error else "not observed"
    return PlanError(
        kind=ErrorKind.TARGET_UNREACHABLE,
        target=name,
        message=f"target '{name}' could not be read ({why}); nothing is planned for it",
        cause=observed.error_kind if observed is not None else "",
        hint=observed.error_hint if observed is not None else "",
        exit_code=(observed.error_code if observed is not None else 0) or 1,
    )


def _plan_workloads(scope: _Scope, name: str, observed: TargetState, draft: _Draft) -> None:
    for workload in scope.on_target(name):
        if not scope.selected(workload):
            continue
        policy = scope.manifest.policy_for(workload)
        owner = scope.owner(workload)
        points = observed.points_of(workload, owner)
        forced = workload in scope.replace
        draft.history[(name, workload)] = len(points)
        definition = scope.definition(workload)
        spec = scope.manifest.targets[name]
        newest = newest_good(points)
        prunes: list[Action | None]
        if isinstance(spec, TapeTarget):
            prunes = [*tape_prunes(name, spec, workload, policy.retention, points, observed,
                                 zone_of(policy.schedule), scope.now)]
        else:
            prunes = [plan_prune(workload, name, policy.retention, points, zone_of(policy.schedule), newest),
                      _extend_lock(scope, name, workload, policy.retention, points)]
        for item in (plan_backup(workload, name, policy.schedule, newest, scope.now, forced, definition), *prunes):
            if item is not None:
                draft.actions.append(item)
        warning = rpo_warning(workload, name, policy.schedule, newest, scope.now)
        if warning is not None:
            draft.warnings.append(warning)


def _plan_orphans(scope: _Scope, name: str, observed: TargetState, draft: _Draft) -> None:
    """Points of hosts this manifest speaks for, of workloads it no longer stores here."""
    if scope.workloads is not None:
        return
    expected = {(w, scope.owner(w)) for w in [*scope.on_target(name), *scope.replicated_into(name)]}
    owners = {scope.state.host} | {w.host for w in scope.manifest.workloads.values() if w.host}
    orphans = {key: list(points) for key, points in observed.groups().items()
               if key[1] in owners and key not in expected}  # groups, not every point again
    actions, warnings = plan_orphans(name, orphans, scope.prune_orphans)
    draft.actions.extend(actions)
    draft.warnings.extend(warnings)


def _plan_copies(scope: _Scope, name: str, chosen: Set[str], draft: _Draft) -> None:
    """Copies from target ``name`` into its replica, after both were planned on their own;
    a tape target with ``copy_from`` receives its GFS copies."""
    spec = scope.manifest.targets[name]
    if isinstance(spec, TapeTarget) and spec.copy_from is not None:
        copies = plan_tape_copies(scope.manifest, scope.state, name, scope.now,
                                  set(scope.workloads) if scope.workloads is not None else None)
        for action in copies:
            if action.kind == ActionKind.PRUNE and action.workload is not None:
                history = [p for p in scope.state.targets[name].points if p.workload == action.workload]
                draft.history.setdefault((name, action.workload), len(history))
        draft.actions.extend(copies)
    replica = scope.manifest.targets[name].replica
    source, mirror = scope.state.targets.get(name), scope.state.targets.get(replica or "")
    if replica is None or replica not in chosen or source is None or not source.reachable:
        return
    for workload in filter(scope.selected, scope.on_target(name)):
        if mirror is None or not mirror.reachable:
            draft.warnings.append(unreachable_replica_warning(workload, name, replica))
            continue
        job = _replica_job(scope, workload, name, replica, draft)
        draft.history.setdefault((replica, workload), len(job.replica_points))
        start = len(draft.actions)
        draft.actions.extend(plan_replica(job))
        _hold_locked(scope, mirror, draft, start)
        _hold_append_only(mirror, draft, start)
        if job.prune_replica:
            extend = _extend_lock(scope, replica, workload, job.retention, job.replica_points)
            draft.actions.extend([extend] if extend is not None else [])


def _plan_tape_media(scope: _Scope, name: str, draft: _Draft) -> None:
    """Name the cartridges of a tape target's writes; add its cartridge actions and warnings."""
    observed = scope.state.targets.get(name)
    if not isinstance(scope.manifest.targets[name], TapeTarget) or observed is None or not observed.reachable:
        return
    actions, warnings = plan_tape_media(scope.manifest, scope.state, name,
                                        sorted(draft.actions, key=_action_order), scope.now,
                                        narrowed=scope.workloads is not None)
    draft.actions = actions
    draft.warnings.extend(warnings)


def _replica_job(scope: _Scope, workload: str, source: str, replica: str, draft: _Draft) -> ReplicaJob:
    owner, manifest = scope.owner(workload), scope.manifest
    policy = manifest.policy_for(workload)
    override = manifest.targets[source].replica_policy
    retention = manifest.policies[override].retention if override else policy.retention

    def mine(target: str) -> list[PointRecord]:
        return list(scope.state.targets[target].points_of(workload, owner))

    def planned(kind: ActionKind) -> list[Action]:
        return [a for a in draft.actions if (a.kind, a.target, a.workload) == (kind, source, workload)]

    return ReplicaJob(
        workload=workload, source=source, replica=replica, retention=retention,
        zone=zone_of(policy.schedule), source_points=mine(source), replica_points=mine(replica),
        pruned_in_source={p.id for a in planned(ActionKind.PRUNE) for p in a.points},
        backup_planned=bool(planned(ActionKind.BACKUP)),
        prune_replica=replica not in manifest.workloads[workload].targets,
    )
