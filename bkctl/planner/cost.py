"""Size and cost in the plan: next month's stored bytes per target, priced (Infracost's idea).

For each workload a target stores (directly or as a replica), the next 30 days bring one
backup per schedule interval, each adding the average ``stored_bytes`` of the recent good
points (the last ``RECENT`` after the first: the first point of a history holds everything
and says nothing about the increments). Retention is then applied at the end of the month
to the points held and the projected ones; what it keeps is next month's size. Points of
other hosts or of workloads the manifest no longer stores are assumed to stay.

Prices (bkctl/model/pricing.py): storage per GiB-month; each backup writes its packs
(``PACK_BYTES`` each) plus ``OBJECTS_PER_BACKUP`` small objects, priced per 10,000
requests; a target with a replica sends each new point's bytes out once (egress). A prune
that deletes data younger than the class's minimum storage duration pays the remaining
days anyway: an early-deletion warning says how much.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bkctl.model.manifest import Manifest
from bkctl.model.plan import Action, ActionKind, PlanWarning, WarningKind
from bkctl.model.policy import Retention, Schedule
from bkctl.model.pricing import GIB, Pricing, TargetCost
from bkctl.model.state import ActualState, PointRecord, TargetState
from bkctl.planner.retention import apply_retention
from bkctl.planner.schedule import interval_of, zone_of

__all__ = ["Holding", "estimate_target", "project_holding", "early_deletion", "holdings_of", "estimate_costs",
           "MONTH", "RECENT", "PACK_BYTES", "OBJECTS_PER_BACKUP"]

MONTH = timedelta(days=30)
RECENT = 10
PACK_BYTES = 16 << 20  # the repository's target pack size
OBJECTS_PER_BACKUP = 3  # index, point document, run record


@dataclass(frozen=True)
class Holding:
    """One workload's points in one target, with the schedule and retention that govern them."""

    points: Sequence[PointRecord]
    schedule: Schedule
    retention: Retention


@dataclass(frozen=True)
class Projection:
    stored_bytes: int
    backups: int
    added_per_backup: int


def project_holding(holding: Holding, now: datetime) -> Projection:
    """Bytes this holding will occupy 30 days from ``now``, and the backups that get it there."""
    good = sorted((p for p in holding.points if not p.partial), key=lambda p: (p.time, p.id))
    recent = good[1:][-RECENT:] or good[-1:]
    added = sum(p.stored_bytes for p in recent) // len(recent) if recent else 0
    interval = interval_of(holding.schedule, now)
    start = max(good[-1].time + interval, now) if good else now
    future = []
    moment = start
    while moment <= now + MONTH:
        future.append(moment)
        moment += interval
    entries = [(p.time, p.id) for p in good] + [(t, f"future-{n:06d}") for n, t in enumerate(future)]
    kept = {v.key for v in apply_retention(holding.retention, entries, zone_of(holding.schedule)) if v.kept}
    sizes = {p.id: p.stored_bytes for p in good}
    total = sum(sizes.get(key, added) for key in kept) + sum(p.stored_bytes for p in holding.points if p.partial)
    return Projection(total, len(future), added)


def estimate_target(name: str, prices: Pricing, observed: TargetState, holdings: Sequence[Holding], *,
                    replicated: bool, penalty: float, now: datetime) -> TargetCost:
    """Today's bytes and next month's for one target, and both months priced."""
    held_ids = {p.id for h in holdings for p in h.points}
    others = sum(p.stored_bytes for p in observed.points if p.id not in held_ids)
    projections = [project_holding(h, now) for h in holdings]
    after = others + sum(p.stored_bytes for p in projections)
    backups = sum(p.backups for p in projections)
    objects = sum(p.backups * (math.ceil(p.added_per_backup / PACK_BYTES) + OBJECTS_PER_BACKUP) for p in projections)
    sent = sum(p.backups * p.added_per_backup for p in projections) if replicated else 0
    storage = after / GIB * prices.storage_gib_month
    requests = objects / 10_000 * prices.requests_10k
    egress = sent / GIB * prices.egress_gib
    now_bytes = sum(p.stored_bytes for p in observed.points)
    return TargetCost(target=name, currency=prices.currency, stored_bytes_now=now_bytes,
                      stored_bytes_next_month=after, backups_next_month=backups,
                      monthly_cost_before=_money(now_bytes / GIB * prices.storage_gib_month),
                      monthly_cost_after=_money(storage + requests + egress + penalty),
                      storage_cost=_money(storage), request_cost=_money(requests), egress_cost=_money(egress),
                      early_deletion_cost=_money(penalty))


def early_deletion(prune: Action, prices: Pricing, points: Sequence[PointRecord],
                   now: datetime) -> tuple[float, PlanWarning | None]:
    """What deleting the pruned points before the minimum storage duration still costs."""
    if prices.minimum_days <= 0 or prune.kind != ActionKind.PRUNE:
        return 0.0, None
    sizes = {p.id: p.stored_bytes for p in points}
    minimum = timedelta(days=prices.minimum_days)
    young = [(p, minimum - (now - p.time)) for p in prune.points if now - p.time < minimum]
    cost = sum(sizes.get(p.id, 0) / GIB * prices.storage_gib_month * (left / MONTH) for p, left in young)
    if not young:
        return 0.0, None
    warning = PlanWarning(kind=WarningKind.EARLY_DELETION, target=prune.target, workload=prune.workload,
                          message=f"target '{prune.target}': the prune of '{prune.workload}' deletes {len(young)} "
                                  f"point(s) younger than the storage class's minimum of {prices.minimum_days} days; "
                                  f"early deletion is billed about {cost:.4f} {prices.currency}")
    return cost, warning


def _money(value: float) -> float:
    return round(value, 6)


def estimate_costs(manifest: Manifest, state: ActualState, actions: Sequence[Action], chosen: Sequence[str],
                   owners: Mapping[str, str], now: datetime) -> tuple[list[TargetCost], list[PlanWarning]]:
    """Costs of every chosen, readable target, when the manifest prices any; early-deletion warnings."""
    if not any(target.priced() for target in manifest.targets.values()):
        return [], []
    costs, warnings = [], []
    for name in chosen:
        observed = state.targets.get(name)
        if observed is None or not observed.reachable:
            continue
        prices = manifest.targets[name].prices()
        penalty = 0.0
        for prune in (a for a in actions if a.target == name and a.kind == ActionKind.PRUNE):
            cost, warning = early_deletion(prune, prices, observed.points, now)
            penalty += cost
            warnings += [warning] if warning is not None else []
        costs.append(estimate_target(name, prices, observed, holdings_of(manifest, name, observed, owners),
                                     replicated=manifest.targets[name].replica is not None, penalty=penalty,
                                     now=now))
    return costs, warnings


def holdings_of(manifest: Manifest, target: str, observed: TargetState,
                owner_of: Mapping[str, str]) -> list[Holding]:
    """The workloads stored in ``target`` directly or as replicas, each with its points."""
    found = []
    for workload in sorted(owner_of):
        spec = manifest.workloads[workload]
        sources = [t for t in spec.targets if manifest.targets[t].replica == target]
        if target not in spec.targets and not sources:
            continue
        policy = manifest.policy_for(workload)
        override = manifest.targets[sources[0]].replica_policy if sources and target not in spec.targets else None
        retention = manifest.policies[override].retention if override else policy.retention
        points = observed.points_of(workload, owner_of[workload])
        found.append(Holding(points, policy.schedule, retention))
    return found
