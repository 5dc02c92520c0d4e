"""The cartridge actions of a plan, and how large a planned tape write is assumed to be.

Sizes: a copy writes its points whole (their logical size, an upper bound: tape keeps
the source's compression); a backup is assumed as large as the workload's newest full
point on this tape (in the pool written to, when it has one), else its newest point
anywhere, else unknown (0). With ``format: incremental``, a backup that will extend a chain (the newest point of the
workload in the pool's open media set, nothing in its chain expired: the engine's rule)
is assumed as large as the workload's newest incremental (else as its full: an upper
bound until one was written); any other is a full.
"""

from __future__ import annotations

from datetime import datetime

from bkctl.model.plan import Action, ActionKind, PrunedPoint, Reason
from bkctl.model.state import ActualState
from bkctl.model.tape_estimate import period_of
from bkctl.model.tape_state import TapeState
from bkctl.model.target import TapeTarget
from bkctl.planner.tape_media import LibraryModel
from bkctl.planner.wording import format_time

__all__ = ["cartridge_actions", "write_size"]


def write_size(action: Action, state: ActualState, name: str, model: LibraryModel) -> int:
    """Bytes the write is assumed to put on tape, ``model`` being the library just before it."""
    if action.kind == ActionKind.COPY and action.source is not None:
        source = state.targets.get(action.source)
        sizes = {p.id: p.bytes for p in source.points} if source is not None else {}
        return sum(sizes.get(p.id, 0) for p in action.points)
    pool = action.pool or model.spec.pool
    tape = state.targets[name].tape
    theirs = sorted((p for p in tape.placements if p.workload == action.workload), key=lambda p: p.time) if tape else []
    mine = [p for p in theirs if p.pool == pool] or theirs
    fulls = [p for p in mine if p.base is None]
    if mine and model.spec.format == "incremental" and model.extends_chain(pool, mine[-1]):
        incrementals = [p for p in mine if p.base is not None]
        return (incrementals or fulls or mine)[-1].stored_bytes
    if fulls or mine:
        return (fulls or mine)[-1].stored_bytes
    anywhere = [p for t in state.targets.values() for p in t.points if p.workload == action.workload]
    return max(anywhere, key=lambda p: p.time).bytes if anywhere else 0


def cartridge_actions(name: str, spec: TapeTarget, library: TapeState, model: LibraryModel,
                      imports: list[tuple[str, str]], now: datetime, *, exports: bool = True) -> list[Action]:
    """Label, import and recycle (before the writes), export (after them)."""
    actions = []
    blank = sorted(c.barcode for c in library.cartridges if c.state == "blank" and not c.offsite)
    if blank:
        actions.append(Action(kind=ActionKind.LABEL_CARTRIDGE, target=name, reason=Reason.BLANK_CARTRIDGES,
                              detail=f"write the volume label (with the library's wrapped keys) on {len(blank)} "
                                     f"blank cartridge{'s' if len(blank) != 1 else ''}: {_names(blank)}",
                              cartridges=tuple(blank)))
    if imports:
        vaults = ", ".join(sorted({f"'{vault}'" for _, vault in imports}))
        actions.append(Action(kind=ActionKind.IMPORT_CARTRIDGE, target=name, reason=Reason.OFFSITE_EXPIRED,
                              detail=f"{_names([b for b, _ in imports])}: every point on them has expired; back "
                                     f"from vault {vaults} to be recycled",
                              cartridges=tuple(b for b, _ in imports)))
    written = {c.barcode: c.last_written for c in library.cartridges}
    actions += [_recycle(name, model, barcode, held, written[barcode]) for barcode, held in
                sorted(model.recycles.items())]
    return actions + (_exports(name, spec, model, now) if exports else [])


def _names(barcodes: list[str]) -> str:
    """Every barcode, or the first and last of a long run (the action's ``cartridges`` list them all)."""
    return ", ".join(barcodes) if len(barcodes) <= 6 else f"{barcodes[0]} to {barcodes[-1]}"


def _recycle(name: str, model: LibraryModel, barcode: str, held: tuple[str, ...],
             last_written: datetime | None) -> Action:
    times = {p.id: p.time for p in model.placements}
    points = tuple(sorted((PrunedPoint(id=i, time=times[i], rules_not_keeping=("expired",)) for i in held),
                          key=lambda p: (p.time, p.id), reverse=True))
    written = f", last written {format_time(last_written)}" if last_written else ""
    return Action(kind=ActionKind.RECYCLE_CARTRIDGE, target=name, reason=Reason.CARTRIDGE_NEEDED,
                  detail=f"a write needs a cartridge and none is scratch; the {len(held)} point(s) on {barcode}, and "
                         f"every point depending on them, have expired{written}", cartridges=(barcode,),
                  points=points)


def _exports(name: str, spec: TapeTarget, model: LibraryModel, now: datetime) -> list[Action]:
    """Cartridges of closed media sets (or full ones) of pools with ``offsite:`` that still hold live points."""
    actions = []
    sets = {s.id: s for s in model.sets}
    for pool_name, pool in sorted(spec.effective_pools().items()):
        if pool.offsite is None:
            continue
        chosen = []
        for cartridge in sorted(model.cartridges.values(), key=lambda c: c.barcode):
            media_set = sets.get(cartridge.media_set or "")
            if cartridge.pool != pool_name or not cartridge.location.startswith("slot") or media_set is None:
                continue
            closed = cartridge.state in ("full", "used") or (
                pool.allocation in ("weekly", "monthly", "yearly") and media_set.period != period_of(
                    pool.allocation, now)) or (pool.allocation == "always" and media_set.id not in model.run_sets)
            live = cartridge.barcode in model.written or not model.recyclable(cartridge)
            if closed and live:
                chosen.append(cartridge.barcode)
        if chosen:
            actions.append(Action(kind=ActionKind.EXPORT_CARTRIDGE, target=name, reason=Reason.OFFSITE_ROTATION,
                                  detail=f"{_names(chosen)}: closed media sets of pool '{pool_name}' go to "
                                         f"vault '{pool.offsite}'",
                                  cartridges=tuple(chosen), pool=pool_name))
    return actions
