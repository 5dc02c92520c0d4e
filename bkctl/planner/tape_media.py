"""A pure model of a tape library's cartridges, for predicting what an apply will do to them.

The planner may not import the tape engine, so this mirrors its rules over the observed
:class:`~bkctl.model.tape_state.TapeState` (docs/tape.md, "Choosing a cartridge and
recycling"): a pool's media set is open while its allocation period lasts (``always``:
for one run; ``continue``: for ever); a write appends to the set's writable end while it
is ``append`` and in the library, else takes the lowest-numbered scratch cartridge (blank
ones are labelled at the start of the apply, so they count as scratch), else recycles the
recyclable cartridge written longest ago. WORM pools take only WORM cartridges. A
cartridge is recyclable when every point with a part on it, and every point based on one
of those, has expired (pruned, or past its pool's retention); WORM cartridges and pools
with ``retention: keep`` (or missing from the manifest) never are. A test compares these
predictions with what the engine then does.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from datetime import datetime

from bkctl.model.tape import MEDIA_TYPES, TapePool
from bkctl.model.tape_estimate import cartridges_needed, period_of
from bkctl.model.tape_state import TapeCartridge, TapePlacement, TapeState
from bkctl.model.target import TapeTarget
from bkctl.planner.tape_gfs import pool_expired

__all__ = ["Cartridge", "LibraryModel", "Taken", "blank_library", "early_warning_of"]


def early_warning_of(capacity: int) -> int:
    """mhVTL's 2 MiB, an eighth of tiny test cartridges (the engine's rule)."""
    return min(2 << 20, capacity // 8)


def blank_library(spec: TapeTarget) -> TapeState:
    """The library ``init`` will create: every cartridge blank, in slot order (data, then WORM)."""
    media = MEDIA_TYPES[spec.media]
    data = spec.cartridges - spec.worm_cartridges
    barcodes = [(f"BK{n:04d}{media.data_suffix}", False) for n in range(1, data + 1)]
    barcodes += [(f"BK{9000 + n:04d}{media.worm_suffix}", True) for n in range(1, spec.worm_cartridges + 1)]
    slots = spec.slots or spec.cartridges
    cartridges = tuple(TapeCartridge(barcode=b, worm=w, location=f"slot {i + 1}", capacity=spec.capacity())
                       for i, (b, w) in enumerate(barcodes))
    return TapeState(media=spec.media, capacity=spec.capacity(), early_warning=early_warning_of(spec.capacity()),
                     slots=tuple([b for b, _ in barcodes] + [None] * (slots - len(barcodes))),
                     drives=(None,) * spec.drives, mail_slots=(None,) * spec.mail_slots, cartridges=cartridges)


@dataclass
class Cartridge:
    """A cartridge as the model changes it during one apply."""

    barcode: str
    worm: bool
    state: str
    location: str
    write_protected: bool
    media_set: str | None
    pool: str | None
    capacity: int
    used: int
    last_written: str

    @property
    def offsite(self) -> bool:
        return self.location.startswith("vault:")


@dataclass
class _Set:
    id: str
    pool: str
    allocation: str
    period: str
    created: datetime
    cartridges: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Taken:
    """One cartridge a write uses: ``how`` is append, scratch or recycle."""

    barcode: str
    how: str


class LibraryModel:
    """The library during one apply: writes move cartridges the way the engine will."""

    def __init__(self, state: TapeState, spec: TapeTarget, now: datetime, pruned: Set[str] = frozenset(),
                 recycled: Mapping[str, tuple[str, ...]] | None = None) -> None:
        """``recycled``: cartridges the apply recycles before writing (barcode -> expired points on it)."""
        self.spec = spec
        self.pools: dict[str, TapePool] = spec.effective_pools()
        self.now = now
        self.early_warning = state.early_warning
        self.placements: list[TapePlacement] = list(state.placements)
        self.pruned = set(pruned)
        self.recycles: dict[str, tuple[str, ...]] = dict(recycled or {})  # barcode -> expired points it held
        self.cartridges = {c.barcode: _cartridge(c, c.barcode in self.recycles) for c in state.cartridges}
        self.sets = [_Set(s.id, s.pool, s.allocation, s.period, s.created, list(s.cartridges))
                     for s in state.media_sets]
        self.run_sets: set[str] = set()
        self.written: set[str] = set()  # cartridges this apply writes to

    # -- expiry and recycling ---------------------------------------------------------
    def expired(self, placement: TapePlacement) -> bool:
        pool = self.pools.get(placement.pool)
        if pool is None or pool.retention == "keep":
            return False
        return placement.expired or placement.id in self.pruned or pool_expired(pool, placement.time, self.now)

    def holders(self, barcode: str) -> list[TapePlacement]:
        """Points with a part on the cartridge, and every point whose base chain reaches one."""
        held = [p for p in self.placements if barcode in p.cartridges]
        found = {p.id for p in held}
        for point in self.placements:  # bases come before what depends on them
            if point.base in found and point.id not in found:
                found.add(point.id)
                held.append(point)
        return held

    def recyclable(self, cartridge: Cartridge) -> bool:
        pool = self.pools.get(cartridge.pool or "")
        if cartridge.worm or cartridge.media_set is None or pool is None or pool.retention == "keep":
            return False
        if cartridge.barcode in self.written:
            return False
        held = self.holders(cartridge.barcode)
        if not held and cartridge.state == "append":
            return False
        return all(self.expired(p) for p in held)

    def extends_chain(self, pool_name: str, placement: TapePlacement) -> bool:
        """Whether an incremental written now would be based on ``placement`` (the engine's rule).

        Its media set must be the pool's open set, and no point of its base chain may have
        expired (else the engine starts a new chain with a full).
        """
        current = self._current(pool_name)
        if current is None or current.id != placement.media_set or not self._open(current, self.pools[pool_name]):
            return False
        by_id = {p.id: p for p in self.placements}
        point: TapePlacement | None = placement
        while point is not None:
            if self.expired(point):
                return False
            point = by_id.get(point.base) if point.base else None
        return True

    # -- writing ----------------------------------------------------------------------
    def write(self, pool_name: str, size: int) -> tuple[list[Taken], bool]:
        """The cartridges a write of ``size`` bytes into the pool uses; False when one was missing."""
        pool = self.pools[pool_name]
        current = self._current(pool_name)
        taken: list[Taken] = []
        free_first: int | None = None
        if current is not None and not self._open(current, pool):
            self._close(current)
            current = None
        if current is None:
            current = _Set(f"new-{len(self.sets)}", pool_name, pool.allocation, period_of(pool.allocation, self.now),
                           self.now)
            self.sets.append(current)
            self.run_sets.add(current.id)
        elif current.cartridges:
            last = self.cartridges[current.cartridges[-1]]
            if last.state == "append" and not last.offsite and not last.write_protected:
                taken.append(Taken(last.barcode, "append"))
                free_first = max(0, last.capacity - self.early_warning - last.used)
        capacity = self.spec.capacity()
        needed = cartridges_needed(size, capacity, self.early_warning, free_first)
        while len(taken) < needed:
            fresh = self._take(pool, {t.barcode for t in taken})
            if fresh is None:
                self._fill(current, pool_name, taken, size)
                return taken, False
            taken.append(fresh)
        self._fill(current, pool_name, taken, size)
        return taken, True

    def offsite_end(self, pool_name: str) -> Cartridge | None:
        """The writable end of the pool's open set when it is off-site (the set continues elsewhere)."""
        current = self._current(pool_name)
        if current is None or not current.cartridges or not self._open(current, self.pools[pool_name]):
            return None
        last = self.cartridges[current.cartridges[-1]]
        return last if last.state == "append" and last.offsite else None

    def _current(self, pool_name: str) -> _Set | None:
        sets = [s for s in self.sets if s.pool == pool_name and (s.cartridges or s.id in self.run_sets)]
        return max(sets, key=lambda s: (s.created, s.id)) if sets else None

    def _open(self, media_set: _Set, pool: TapePool) -> bool:
        if pool.allocation == "always":
            return media_set.id in self.run_sets
        if pool.allocation == "continue":
            return True
        return media_set.period == period_of(pool.allocation, self.now)

    def _close(self, media_set: _Set) -> None:
        if media_set.cartridges:
            last = self.cartridges[media_set.cartridges[-1]]
            if last.state == "append":
                last.state = "used"

    def _take(self, pool: TapePool, taken: Set[str]) -> Taken | None:
        """A scratch or recyclable cartridge for a write that has ``taken`` these already."""
        usable = sorted((c for c in self.cartridges.values() if c.worm == pool.worm and not c.offsite
                         and not c.write_protected and c.barcode not in taken), key=lambda c: c.barcode)
        fresh = next((c for c in usable if c.state in ("scratch", "blank")), None)
        if fresh is not None:
            return Taken(fresh.barcode, "recycle" if fresh.barcode in self.recycles else "scratch")
        candidates = [c for c in usable if c.state in ("full", "used", "append") and self.recyclable(c)]
        if not candidates:
            return None
        oldest = min(candidates, key=lambda c: (c.last_written, c.barcode))
        self.recycles[oldest.barcode] = tuple(p.id for p in self.holders(oldest.barcode))
        return Taken(oldest.barcode, "recycle")

    def _fill(self, media_set: _Set, pool_name: str, taken: list[Taken], size: int) -> None:
        usable = self.spec.capacity() - self.early_warning
        left = size
        for number, item in enumerate(taken):
            cartridge = self.cartridges[item.barcode]
            if item.how != "append":
                media_set.cartridges.append(item.barcode)
                cartridge.media_set, cartridge.pool, cartridge.used = media_set.id, pool_name, 0
            room = max(0, usable - cartridge.used)
            share = left if number == len(taken) - 1 else min(left, room)
            cartridge.used += share
            left -= share
            cartridge.state = "full" if cartridge.used >= usable or number < len(taken) - 1 else "append"
            cartridge.last_written = self.now.isoformat()
            self.written.add(item.barcode)


def _cartridge(observed: TapeCartridge, recycled: bool) -> Cartridge:
    stamp = observed.last_written.isoformat() if observed.last_written else ""
    if recycled:  # erased back to scratch at the start of the apply
        return Cartridge(observed.barcode, observed.worm, "scratch", observed.location, observed.write_protected,
                         None, None, observed.capacity, 0, stamp)
    state = "scratch" if observed.state == "blank" and not observed.offsite else observed.state
    return Cartridge(observed.barcode, observed.worm, state, observed.location, observed.write_protected,
                     observed.media_set, observed.pool, observed.capacity, observed.used, stamp)
