"""When a cartridge may be overwritten: lazily, chain-aware, never WORM or ``keep``.

Pure functions over catalogs and attributes. A cartridge is recyclable only when every
recovery point with a part on it has expired, and so has every point that depends on one
of those (an incremental whose base it holds): removing a base that a live incremental
still needs is the data-loss bug DPM and Amanda guard against. WORM cartridges and
cartridges of a pool whose retention is ``keep`` never are. Nothing is recycled because
it *could* be: the allocator recycles only when no scratch or blank cartridge is left
(Bareos's rule), oldest last write first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bkctl.model.target import TapeTarget
from bkctl.model.units import Duration
from bkctl.tape.attributes import MediumAttributes
from bkctl.tape.catalog import CatalogPoint, SetCatalog

__all__ = ["Expiry", "PoolRule", "Recyclability", "assess", "dependents", "expiry_rule", "pool_rules"]

Expiry = Callable[[SetCatalog, CatalogPoint], bool]


@dataclass(frozen=True)
class PoolRule:
    """What the library needs to know of a manifest pool."""

    name: str
    allocation: str = "continue"
    retention: Duration | str | None = None  # a Duration, "keep", or None: the policy decides
    worm: bool = False
    format: str = "full"  # the target's: "incremental" bases a point on its media set's previous one


def pool_rules(target: TapeTarget) -> dict[str, PoolRule]:
    return {name: PoolRule(name, pool.allocation, pool.retention, pool.worm, target.format)
            for name, pool in target.effective_pools().items()}


def expiry_rule(rules: Mapping[str, PoolRule], now: datetime, expired_ids: frozenset[str] = frozenset()) -> Expiry:
    """Expired: named in ``expired_ids`` (the policy let it go) or older than its pool's retention.

    A pool the manifest no longer names keeps its points (the safe answer).
    """
    def expired(catalog: SetCatalog, point: CatalogPoint) -> bool:
        rule = rules.get(catalog.pool)
        if rule is None or rule.retention == "keep":
            return False
        if point.id in expired_ids:
            return True
        return isinstance(rule.retention, Duration) and point.time <= rule.retention.before(now)

    return expired


@dataclass(frozen=True)
class Recyclability:
    barcode: str
    recyclable: bool
    reason: str
    waiting_for: tuple[str, ...] = ()  # ids of unexpired points that hold the cartridge


def dependents(catalog: SetCatalog, roots: set[str]) -> list[CatalogPoint]:
    """Points whose base chain reaches one of ``roots`` (incrementals live in their base's set)."""
    found: set[str] = set(roots)
    result = []
    for point in catalog.points:  # bases are written before what depends on them
        if point.base in found:
            found.add(point.id)
            result.append(point)
    return result


def assess(attributes: MediumAttributes, catalogs: Mapping[str, SetCatalog], rules: Mapping[str, PoolRule],
           expired: Expiry) -> Recyclability:
    """Whether the cartridge may be relabelled now, and why (the plan shows the reason)."""
    barcode = attributes.barcode
    if attributes.worm:
        return Recyclability(barcode, False, "WORM cartridges are never overwritten")
    if attributes.media_set is None:
        return Recyclability(barcode, False, f"{attributes.state}: holds no recovery points")
    catalog = catalogs.get(attributes.media_set)
    if catalog is None:
        return Recyclability(barcode, False, "its media set is not in the catalog (run `bkctl tape scan`)")
    rule = rules.get(catalog.pool)
    if rule is None or rule.retention == "keep":
        return Recyclability(barcode, False, f"pool '{catalog.pool}' keeps its cartridges for ever")
    on_it = [p for p in catalog.points if barcode in p.cartridges()]
    if not on_it and attributes.state == "append":
        return Recyclability(barcode, False, "the writable end of its media set")
    held = on_it + [p for p in dependents(catalog, {p.id for p in on_it}) if p not in on_it]
    waiting = tuple(p.id for p in held if not expired(catalog, p))
    if waiting:
        return Recyclability(barcode, False, f"{len(waiting)} recovery point(s) on it or depending on it "
                             "have not expired", waiting)
    return Recyclability(barcode, True, f"every point on it ({len(on_it)}) and depending on it has expired")
