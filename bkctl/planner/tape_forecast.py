"""How many cartridges the coming 90 days need, and whether the library has them.

A day-by-day model from the state after this plan's writes (pure, no clock):

- **need**: a pool with a calendar allocation starts a media set at every week, month or
  year boundary, ``always`` one per write, ``continue`` a cartridge whenever its data
  fills one. A set takes ``ceil(writes per set x mean point size / usable capacity)``
  cartridges, at least one. Writers are the workloads that list the target (at their
  schedule's rate, into ``pool``) and the GFS copies (one point per workload per period
  of the level a pool receives). The mean point size is the pool's, else that of this
  plan's writes.
- **supply**: scratch and blank cartridges in the library, cartridges recyclable now
  (off-site ones come back), and cartridges whose points all pass their pool's
  retention within the horizon, including sets started within it. Pools without a
  duration retention release nothing (``keep``, or the policy decides: not predictable).

WORM and ordinary cartridges are counted apart. The warning names the shortfall.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bkctl.model.manifest import Manifest
from bkctl.model.plan import PlanWarning, WarningKind
from bkctl.model.tape import TapePool
from bkctl.model.tape_estimate import period_of
from bkctl.model.target import TapeTarget
from bkctl.model.units import Duration
from bkctl.planner.schedule import interval_of
from bkctl.planner.tape_media import LibraryModel

__all__ = ["HORIZON_DAYS", "forecast"]

HORIZON_DAYS = 90
_PERIOD_DAYS = {"weekly": 7, "monthly": 31, "yearly": 366, "always": 0, "continue": 0}


@dataclass
class _Ledger:
    """Cartridges taken and given back per day, for one kind (WORM or not)."""

    free: int = 0
    taken: dict[int, int] = field(default_factory=dict)
    given: dict[int, int] = field(default_factory=dict)
    by_pool: dict[str, int] = field(default_factory=dict)

    def take(self, day: int, count: int, pool: str) -> None:
        self.taken[day] = self.taken.get(day, 0) + count
        self.by_pool[pool] = self.by_pool.get(pool, 0) + count

    def give(self, day: int, count: int = 1) -> None:
        if day <= HORIZON_DAYS:
            self.given[day] = self.given.get(day, 0) + count

    def shortfall(self) -> int:
        have, worst = self.free, 0
        for day in range(HORIZON_DAYS + 1):
            have += self.given.get(day, 0) - self.taken.get(day, 0)
            worst = min(worst, have)
        return -worst


def _writers(name: str, spec: TapeTarget, manifest: Manifest, now: datetime) -> dict[str, float]:
    """Writes per day into each pool."""
    rates: dict[str, float] = {}
    for workload, definition in manifest.workloads.items():
        if name in definition.targets:
            interval = interval_of(manifest.policy_for(workload).schedule, now)
            rates[spec.pool] = rates.get(spec.pool, 0.0) + timedelta(days=1) / interval
        if spec.copy_from is not None and spec.copy_from in definition.targets:
            for pool_name, pool in spec.effective_pools().items():
                if pool.receives:
                    rates[pool_name] = rates.get(pool_name, 0.0) + 1 / _PERIOD_DAYS[pool.receives]
    return rates


def _sizes(model: LibraryModel, planned: Mapping[str, list[int]]) -> dict[str, float]:
    found: dict[str, list[int]] = {}
    for placement in model.placements:
        found.setdefault(placement.pool, []).append(placement.stored_bytes)
    return {pool: sum(v) / len(v) for pool, v in {**planned, **found}.items() if v}


def forecast(name: str, spec: TapeTarget, model: LibraryModel, manifest: Manifest, now: datetime,
             planned: Mapping[str, list[int]]) -> PlanWarning | None:
    ledgers = {False: _Ledger(), True: _Ledger()}
    _supply(model, ledgers)
    usable = spec.capacity() - model.early_warning
    rates, sizes = _writers(name, spec, manifest, now), _sizes(model, planned)
    for pool_name, pool in sorted(spec.effective_pools().items()):
        rate = rates.get(pool_name, 0.0)
        if rate:
            _demand(pool_name, pool, rate, sizes.get(pool_name, 0.0), usable, now, ledgers[pool.worm])
    return _warning(name, ledgers)


def _supply(model: LibraryModel, ledgers: dict[bool, _Ledger]) -> None:
    for cartridge in model.cartridges.values():
        ledger = ledgers[cartridge.worm]
        fresh = cartridge.state in ("scratch", "blank") and not cartridge.offsite
        if fresh or (cartridge.barcode not in model.written and model.recyclable(cartridge)):
            ledger.free += 1
        else:
            day = _release_day(model, cartridge.barcode, cartridge.pool)
            if day is not None:
                ledger.give(day)


def _release_day(model: LibraryModel, barcode: str, pool_name: str | None) -> int | None:
    pool = model.pools.get(pool_name or "")
    if pool is None or not isinstance(pool.retention, Duration) or model.cartridges[barcode].worm:
        return None
    times = [p.time for p in model.holders(barcode)]
    if barcode in model.written:
        times.append(model.now)
    if not times:
        return None
    end = max(times) + pool.retention.fixed()  # calendar months as 30 days: a forecast, not a rule
    return max(0, math.ceil((end - model.now) / timedelta(days=1)))


def _demand(pool_name: str, pool: TapePool, rate: float, size: float, usable: int, now: datetime,
            ledger: _Ledger) -> None:
    period = _PERIOD_DAYS[pool.allocation]
    keep = pool.retention.fixed().days if isinstance(pool.retention, Duration) else None
    owed = 0.0
    for day in range(1, HORIZON_DAYS + 1):
        moment = now + timedelta(days=day)
        if pool.allocation in ("weekly", "monthly", "yearly"):
            if period_of(pool.allocation, moment) == period_of(pool.allocation, moment - timedelta(days=1)):
                continue
            count = max(1, math.ceil(rate * period * size / usable))
        else:
            owed += rate if pool.allocation == "always" else rate * size / usable
            count, owed = int(owed), owed - int(owed)
            if not count:
                continue
        ledger.take(day, count, pool_name)
        if keep is not None:
            ledger.give(day + period + keep, count)


def _warning(name: str, ledgers: dict[bool, _Ledger]) -> PlanWarning | None:
    parts = []
    for worm, ledger in ledgers.items():
        short = ledger.shortfall()
        if short <= 0:
            continue
        need = sum(ledger.by_pool.values())
        pools = ", ".join(f"{pool} {count}" for pool, count in sorted(ledger.by_pool.items()))
        given = sum(ledger.given.values())
        parts.append(f"the coming {HORIZON_DAYS} days need {need} new {'WORM ' if worm else ''}cartridge"
                     f"{'s' if need != 1 else ''} ({pools}), {ledger.free} scratch, blank or recyclable now "
                     f"and {given} recyclable in time: {short} short")
    if not parts:
        return None
    return PlanWarning(kind=WarningKind.SCRATCH_EXHAUSTED, target=name,
                       message=f"target '{name}': " + "; ".join(parts) + "; add cartridges or shorten a retention")
