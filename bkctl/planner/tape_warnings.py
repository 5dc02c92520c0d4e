"""What a tape plan says besides its actions: cartridges per write, and the tape warnings.

Warnings (docs/plan.md): ``scratch-exhausted`` (a write of this plan finds no cartridge,
or the coming 90 days need more than the library has: :mod:`bkctl.planner.tape_forecast`),
``media-offsite`` (a cartridge the plan needs is in a vault), ``dirty-cartridge`` (a run
died with it loaded; the next write re-checks it), ``catalog-out-of-sync`` (a cartridge
holds a newer catalog than the local copy), ``media-refresh-due`` (a pool keeps points
longer than its media stays readable).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bkctl.model.manifest import Manifest
from bkctl.model.plan import Action, ActionKind, PlanWarning, WarningKind
from bkctl.model.state import ActualState, TargetState
from bkctl.model.tape import MEDIA_TYPES
from bkctl.model.tape_estimate import estimate_write, timing_for
from bkctl.model.tape_state import TapeState
from bkctl.model.target import TapeTarget
from bkctl.model.units import Duration, format_size
from bkctl.planner.tape_forecast import forecast
from bkctl.planner.tape_media import LibraryModel, Taken
from bkctl.planner.wording import format_age

__all__ = ["Outcome", "tape_warnings", "write_detail"]

Outcome = tuple[Action, list[Taken], bool, int]  # the write, its cartridges, all found, its size


def write_detail(action: Action, taken: list[Taken], size: int, spec: TapeTarget) -> Action:
    """The action naming its pool, cartridges (in order) and estimated duration."""
    pool = action.pool or spec.pool
    estimate = estimate_write(timing_for(spec.media, spec.timing), size, max(1, len(taken)))
    where = ", ".join(f"{t.barcode} ({t.how})" for t in taken) or "no cartridge available"
    label = "cartridge" if len(taken) == 1 else "cartridges"
    how_long = f"about {format_age(timedelta(seconds=round(estimate.seconds)))} for {format_size(size)}" \
        if size else "size unknown"
    named = "" if f"pool '{pool}'" in action.detail else f"pool '{pool}', "
    detail = f"{action.detail}; {named}{label} {where}, {how_long}"
    return action.model_copy(update={"pool": pool, "cartridges": tuple(t.barcode for t in taken),
                                     "estimate_seconds": round(estimate.seconds, 1), "detail": detail})


def tape_warnings(name: str, spec: TapeTarget, observed: TargetState, library: TapeState, model: LibraryModel,
                  manifest: Manifest, state: ActualState, writes: Sequence[Outcome], now: datetime,
                  actions: Sequence[Action] = ()) -> list[PlanWarning]:
    found = [_no_cartridge(name, spec, a, t) for a, t, ok, _ in writes if not ok]
    found += _offsite_ends(name, spec, library, now, {a.pool or spec.pool for a, _, _, _ in writes})
    found += _verify_offsite(name, library, actions)
    found += [_dirty(name, c.barcode) for c in library.cartridges if c.dirty]
    if library.out_of_sync:
        found.append(PlanWarning(kind=WarningKind.CATALOG_OUT_OF_SYNC, target=name, message=(
            f"target '{name}': {len(library.out_of_sync)} media set(s) have a newer catalog on tape than the local "
            f"copy (a run was interrupted); run `bkctl tape scan {name}`, or the next write to the set takes it "
            "from the tape")))
    found += _refresh(name, spec, model, now)
    planned: dict[str, list[int]] = {}
    for action, _, _, size in writes:
        planned.setdefault(action.pool or spec.pool, []).append(size)
    outlook = forecast(name, spec, model, manifest, now, planned)
    return found + ([outlook] if outlook is not None else [])


def _no_cartridge(name: str, spec: TapeTarget, action: Action, taken: list[Taken]) -> PlanWarning:
    pool = spec.effective_pools()[action.pool or spec.pool]
    kind = "WORM " if pool.worm else ""
    got = f" (it starts on {', '.join(t.barcode for t in taken)})" if taken else ""
    return PlanWarning(kind=WarningKind.SCRATCH_EXHAUSTED, target=name, workload=action.workload, message=(
        f"target '{name}': pool '{action.pool or spec.pool}' has no {kind}cartridge left for the {action.kind} of "
        f"workload '{action.workload}'{got}: no scratch, blank or recyclable cartridge; the write fails (exit 71)"))


def _offsite_ends(name: str, spec: TapeTarget, library: TapeState, now: datetime, pools: set[str]) -> list[PlanWarning]:
    model = LibraryModel(library, spec, now)
    found = []
    for pool in sorted(pools):
        end = model.offsite_end(pool)
        if end is not None:
            found.append(PlanWarning(kind=WarningKind.MEDIA_OFFSITE, target=name, message=(
                f"target '{name}': the writable end of pool '{pool}', cartridge {end.barcode}, is off-site "
                f"({end.location}); its media set continues on another cartridge")))
    return found


def _verify_offsite(name: str, library: TapeState, actions: Sequence[Action]) -> list[PlanWarning]:
    if not any(a.kind == ActionKind.VERIFY and a.target == name for a in actions):
        return []
    away = {c.barcode: c.location for c in library.cartridges if c.offsite}
    skipped = [p for p in library.placements if not p.expired and any(b in away for b in p.cartridges)]
    if not skipped:
        return []
    names = ", ".join(sorted({f"{b} ({away[b]})" for p in skipped for b in p.cartridges if b in away}))
    return [PlanWarning(kind=WarningKind.MEDIA_OFFSITE, target=name, message=(
        f"target '{name}': verify skips {len(skipped)} recovery point(s) on cartridges that are off-site: {names}"))]


def _dirty(name: str, barcode: str) -> PlanWarning:
    return PlanWarning(kind=WarningKind.DIRTY_CARTRIDGE, target=name, message=(
        f"target '{name}': cartridge {barcode} is dirty (a run died while it was loaded); the next write re-checks "
        "it and cuts off the torn tail, earlier points stay readable"))


def _refresh(name: str, spec: TapeTarget, model: LibraryModel, now: datetime) -> list[PlanWarning]:
    """Pools whose retention outlives the media (LTO's archival life; drives read only recent generations)."""
    media = MEDIA_TYPES[spec.media]
    life = Duration(years=media.archival_years)
    found = []
    for pool_name, pool in sorted(spec.effective_pools().items()):
        outlives = pool.retention == "keep" or (isinstance(pool.retention, Duration) and
                                                pool.retention.fixed() > life.fixed())
        held = [p for p in model.placements if p.pool == pool_name and not model.expired(p)]
        written = any(c.pool == pool_name for b, c in model.cartridges.items() if b in model.written)
        if not outlives or not (held or written):
            continue
        oldest = min((p.time for p in held), default=now)
        by = oldest + life.fixed()
        found.append(PlanWarning(kind=WarningKind.MEDIA_REFRESH_DUE, target=name, message=(
            f"target '{name}': pool '{pool_name}' keeps points {_kept(pool.retention)}, "
            f"longer than {media.name} media stays readable (about {media.archival_years} years, and drives read "
            f"only recent generations): copy its points to newer media by {by:%Y-%m-%d}")))
    return found


def _kept(retention: object) -> str:
    return "for ever" if retention == "keep" else f"for {retention}"
