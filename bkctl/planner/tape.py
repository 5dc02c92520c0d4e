"""Tape in the plan: prunes by pool, GFS copies, and what the writes do to the cartridges.

Three entry points for :func:`bkctl.planner.make_plan`:

- :func:`tape_prunes`: a workload that lists a tape target directly loses points by its
  pool's retention (a duration, or ``keep``), else by its policy, as on disk;
- :func:`plan_tape_copies`: a tape target with ``copy_from`` receives the source's
  weekly/monthly/yearly points (see :mod:`bkctl.planner.tape_gfs`);
- :func:`plan_tape_media`: once every backup and copy is planned, the cartridges they
  use are predicted (:mod:`bkctl.planner.tape_media`) and named in each action with an
  estimated duration, and the cartridge actions are added: ``label-cartridge`` for blank
  cartridges, ``import-cartridge`` for off-site cartridges whose points all expired,
  ``recycle-cartridge`` when a write needs a cartridge and no scratch one is left (lazy,
  as Bareos recycles), ``export-cartridge`` for closed media sets of pools with
  ``offsite:``; plus the tape warnings (:mod:`bkctl.planner.tape_warnings`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from bkctl.model.manifest import Manifest
from bkctl.model.plan import Action, ActionKind, PlanWarning, PrunedPoint, Reason
from bkctl.model.policy import Retention
from bkctl.model.state import ActualState, PointRecord, TargetState
from bkctl.model.tape_state import TapeState
from bkctl.model.target import TapeTarget
from bkctl.planner.prunes import plan_prune
from bkctl.planner.schedule import zone_of
from bkctl.planner.tape_actions import cartridge_actions, write_size
from bkctl.planner.tape_gfs import GfsJob, gfs_prunes, plan_gfs_copies, pool_expired
from bkctl.planner.tape_media import LibraryModel, blank_library
from bkctl.planner.tape_warnings import Outcome, tape_warnings, write_detail

__all__ = ["plan_tape_copies", "plan_tape_media", "tape_prunes", "describe_library"]


def describe_library(spec: TapeTarget) -> str:
    return (f"create the tape library ({spec.cartridges} {spec.media} cartridges, {spec.drives} "
            f"drive{'s' if spec.drives != 1 else ''})")


def tape_prunes(target: str, spec: TapeTarget, workload: str, retention: Retention, points: Sequence[PointRecord],
                observed: TargetState, zone: tzinfo, now: datetime) -> list[Action]:
    """Per pool: past the pool's duration, never with ``keep``, else the policy as on disk."""
    placements = {p.id: p for p in observed.tape.placements} if observed.tape else {}
    pools = spec.effective_pools()
    actions = []
    for name in sorted({placements[p.id].pool for p in points if p.id in placements}):
        held = [p for p in points if p.id in placements and placements[p.id].pool == name]
        pool = pools.get(name)
        if pool is None or pool.retention == "keep":
            continue
        if pool.retention is None:
            action = plan_prune(workload, target, retention, held, zone)
        else:
            expired = [p for p in held if pool_expired(pool, p.time, now)]
            action = _expired_prune(target, workload, name, len(held), expired, f"pool retention {pool.retention}")
        if action is not None:
            actions.append(action.model_copy(update={"pool": name}))
    return actions


def _expired_prune(target: str, workload: str, pool: str, held: int, expired: list[PointRecord],
                   rule: str) -> Action | None:
    if not expired:
        return None
    pruned = tuple(PrunedPoint(id=p.id, time=p.time, rules_not_keeping=(rule,))
                   for p in sorted(expired, key=lambda p: (p.time, p.id), reverse=True))
    return Action(kind=ActionKind.PRUNE, target=target, workload=workload, reason=Reason.RETENTION,
                  detail=f"{len(pruned)} of {held} recovery points in pool '{pool}' past its retention",
                  points=pruned)


def plan_tape_copies(manifest: Manifest, state: ActualState, name: str, now: datetime,
                     workloads: set[str] | None) -> list[Action]:
    """GFS copies into tape target ``name`` from its ``copy_from`` source, and the pools' prunes."""
    spec = manifest.targets[name]
    assert isinstance(spec, TapeTarget) and spec.copy_from is not None
    source, tape = state.targets.get(spec.copy_from), state.targets.get(name)
    if source is None or tape is None or not source.reachable or not tape.reachable:
        return []
    actions: list[Action] = []
    for workload, definition in sorted(manifest.workloads.items()):
        if spec.copy_from not in definition.targets or (workloads is not None and workload not in workloads):
            continue
        owner = definition.host or state.host
        policy = manifest.policy_for(workload)
        placements = [p for p in (tape.tape.placements if tape.tape else ()) if (p.workload, p.host) ==
                      (workload, owner)]
        job = GfsJob(workload=workload, source=spec.copy_from, tape=name, retention=policy.retention,
                     zone=zone_of(policy.schedule), now=now, pools=spec.effective_pools(),
                     source_points=[p for p in source.points if (p.workload, p.host) == (workload, owner)],
                     placements=placements)
        actions += plan_gfs_copies(job) + gfs_prunes(job)
    return actions


def plan_tape_media(manifest: Manifest, state: ActualState, name: str, actions: Sequence[Action],
                    now: datetime, *, narrowed: bool = False) -> tuple[list[Action], list[PlanWarning]]:
    """``actions`` (the whole plan, in apply order) with this target's writes naming their
    cartridges, plus the cartridge actions; and the target's tape warnings. A plan
    ``narrowed`` to some workloads leaves the off-site rotation (imports, exports) alone,
    as it leaves reclaims and verifies."""
    spec = manifest.targets[name]
    assert isinstance(spec, TapeTarget)
    observed = state.targets[name]
    library = observed.tape or blank_library(spec)
    pruned = {p.id for a in actions if a.kind == ActionKind.PRUNE and a.target == name for p in a.points}
    imports, library = _imports(library, spec, now, pruned) if not narrowed else ([], library)
    writes = [i for i, a in enumerate(actions) if a.target == name and a.kind in (ActionKind.BACKUP, ActionKind.COPY)]
    first = LibraryModel(library, spec, now, pruned)
    for index in writes:
        first.write(_pool(actions[index], spec), write_size(actions[index], state, name, first))
    model = LibraryModel(library, spec, now, pruned, first.recycles)
    outcomes: list[Outcome] = []
    updated = list(actions)
    for index in writes:
        size = write_size(actions[index], state, name, model)
        taken, found = model.write(_pool(actions[index], spec), size)
        updated[index] = write_detail(actions[index], taken, size, spec)
        outcomes.append((updated[index], taken, found, size))
    extra = cartridge_actions(name, spec, library, model, imports, now, exports=not narrowed)
    warnings = tape_warnings(name, spec, observed, library, model, manifest, state, outcomes, now, actions)
    return updated + extra, warnings


def _pool(action: Action, spec: TapeTarget) -> str:
    return action.pool or spec.pool


def _imports(library: TapeState, spec: TapeTarget, now: datetime,
             pruned: set[str]) -> tuple[list[tuple[str, str]], TapeState]:
    """Off-site cartridges whose every point expired come back, into free slots, oldest first."""
    model = LibraryModel(library, spec, now, pruned)
    free = [i for i, barcode in enumerate(library.slots) if barcode is None]
    due = sorted((c for c in model.cartridges.values() if c.offsite and model.recyclable(c)),
                 key=lambda c: (c.last_written, c.barcode))[:len(free)]
    slots = list(library.slots)
    moved = {}
    for cartridge, slot in zip(due, free, strict=False):
        slots[slot] = cartridge.barcode
        moved[cartridge.barcode] = f"slot {slot + 1}"
    cartridges = tuple(c.model_copy(update={"location": moved[c.barcode]}) if c.barcode in moved else c
                       for c in library.cartridges)
    found = [(c.barcode, c.location.removeprefix("vault:")) for c in due]
    return found, library.model_copy(update={"slots": tuple(slots), "cartridges": cartridges})
