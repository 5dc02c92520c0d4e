"""Which media set and which cartridge the next point goes to (pure; the writer acts on it).

Allocation per pool (Proxmox Backup Server's media-set policies, Bareos's pools):
``always`` starts a new media set for every writer run, ``continue`` appends to the pool's
set for ever, ``weekly``/``monthly``/``yearly`` start a new set when the calendar period
(UTC; ISO weeks) of the write differs from the set's. Within a set, the writable end is
its last cartridge; a new cartridge comes from scratch (labelled, in no set), else blank
(labelled on the way), else by recycling (see :mod:`bkctl.tape.recycling`), oldest last
write first. Off-site cartridges are never chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bkctl.errors import StorageFullError
from bkctl.tape.attributes import MediumAttributes
from bkctl.tape.catalog import SetCatalog
from bkctl.tape.estimate import period_of
from bkctl.tape.recycling import Expiry, PoolRule, assess

__all__ = ["Choice", "choose_cartridge", "current_set", "period_of", "set_is_open"]


def current_set(catalogs: Mapping[str, SetCatalog], pool: str) -> SetCatalog | None:
    """The pool's newest media set that still has cartridges."""
    sets = [c for c in catalogs.values() if c.pool == pool and c.cartridges]
    return max(sets, key=lambda c: (c.created, c.media_set)) if sets else None


def set_is_open(catalog: SetCatalog, rule: PoolRule, now: datetime, run_sets: set[str]) -> bool:
    if rule.allocation == "always":
        return catalog.media_set in run_sets
    if rule.allocation == "continue":
        return True
    return catalog.period == period_of(rule.allocation, now)


@dataclass(frozen=True)
class Choice:
    barcode: str
    action: str  # append | scratch | label | recycle
    reason: str


def choose_cartridge(cartridges: list[MediumAttributes], offsite: Callable[[str], bool],
                     catalogs: Mapping[str, SetCatalog], media_set: SetCatalog | None, rule: PoolRule,
                     rules: Mapping[str, PoolRule], expired: Expiry) -> Choice:
    """The cartridge the next block of ``media_set`` (None: a new set) goes to."""
    if media_set is not None and media_set.cartridges:
        last = next((a for a in cartridges if a.barcode == media_set.cartridges[-1]), None)
        if last is not None and last.state == "append" and not offsite(last.barcode):
            return Choice(last.barcode, "append", f"writable end of media set {media_set.media_set[:8]}")
    usable = sorted((a for a in cartridges if a.worm == rule.worm and not offsite(a.barcode)
                     and not a.write_protected), key=lambda a: a.barcode)
    for state, action in (("scratch", "scratch"), ("blank", "label")):
        found = next((a for a in usable if a.state == state), None)
        if found is not None:
            return Choice(found.barcode, action, f"{state} cartridge")
    candidates = [a for a in usable if a.state in ("full", "used", "append")
                  and assess(a, catalogs, rules, expired).recyclable]
    if candidates:
        oldest = min(candidates, key=lambda a: (a.last_written or "", a.barcode))
        return Choice(oldest.barcode, "recycle", "no scratch cartridge left; every point on it has expired")
    kind = "WORM " if rule.worm else ""
    raise StorageFullError(f"pool '{rule.name}' has no {kind}cartridge to write to: no scratch, blank or "
                           "recyclable cartridge in the library",
                           hint="add cartridges (raise 'cartridges'), import some, or shorten the retention")
