"""Copy actions into replicas (geo-redundancy) and the replica's own retention.

For one workload stored in a target that declares ``replica: R``, every complete point
of that workload (and its owning host) missing from R is copied, matched by point id
(a copy keeps the id). Two refinements keep copies from churning:

- a point that retention prunes from the source in this very plan is not copied;
- the replica's retention (the workload's policy, or the target's ``replica_policy``)
  is applied to the union of what R holds and what would be copied, so a point the
  replica would prune at once is not copied either, and R's prunes see the copies.

A backup of the workload into the source planned in the same plan makes a point that
has no id yet; the copy action then also carries the new point (apply resolves its id
from the backup's outcome), so one apply leaves both copies in place.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass
from datetime import tzinfo

from bkctl.model.plan import Action, ActionKind, PlanWarning, PrunedPoint, Reason, WarningKind
from bkctl.model.policy import Retention
from bkctl.model.state import PointRecord
from bkctl.planner.backups import newest_good
from bkctl.planner.retention import Verdict, apply_retention

__all__ = ["ReplicaJob", "plan_replica", "unreachable_replica_warning"]


@dataclass(frozen=True)
class ReplicaJob:
    """One workload's points in one source target and its replica, as the planner sees them.

    ``prune_replica`` is False when the workload also stores into the replica directly:
    its regular retention pass prunes there already, and two passes would double-prune.
    """

    workload: str
    source: str
    replica: str
    retention: Retention
    zone: tzinfo
    source_points: Sequence[PointRecord]
    replica_points: Sequence[PointRecord]
    pruned_in_source: Set[str]
    backup_planned: bool
    prune_replica: bool = True


def plan_replica(job: ReplicaJob) -> list[Action]:
    """The copy action (if anything is missing) and the replica's prune (if any)."""
    present = {p.id for p in job.replica_points}
    missing = [p for p in job.source_points
               if not p.partial and p.id not in present and p.id not in job.pruned_in_source]
    union = [*job.replica_points, *missing]
    verdicts = apply_retention(job.retention, [(p.time, p.id) for p in union], job.zone)
    kept = {v.key for v in verdicts if v.kept}
    actions = []
    to_copy = sorted((p for p in missing if p.id in kept), key=lambda p: (p.time, p.id))
    if to_copy or job.backup_planned:
        actions.append(_copy(job, to_copy))
    if job.prune_replica:
        prune = _prune(job, [v for v in verdicts if not v.kept and v.key in present], to_copy)
        if prune is not None:
            actions.append(prune)
    return actions


def _copy(job: ReplicaJob, points: Sequence[PointRecord]) -> Action:
    parts = []
    if points:
        parts.append(f"{len(points)} recovery point{'s' if len(points) != 1 else ''}")
    if job.backup_planned:
        parts.append("the point this apply's backup makes")
    return Action(
        kind=ActionKind.COPY,
        target=job.replica,
        workload=job.workload,
        source=job.source,
        reason=Reason.MISSING_COPY,
        detail=f"{' and '.join(parts)} from '{job.source}'",
        points=tuple(PrunedPoint(id=p.id, time=p.time) for p in points),
    )


def _prune(job: ReplicaJob, verdicts: Sequence[Verdict], copies: Sequence[PointRecord]) -> Action | None:
    """Prune the replica, never its newest good point once the planned copies are in.

    A failed copy blocks the prunes of its replica at apply time, so counting the copies
    cannot leave the replica without a good point.
    """
    by_id = {p.id: p for p in job.replica_points}
    keep_anyway = newest_good([*job.replica_points, *copies])
    pruned = tuple(
        PrunedPoint(id=v.key, time=by_id[v.key].time, rules_not_keeping=v.reasons)
        for v in verdicts
        if keep_anyway is None or v.key != keep_anyway.id
    )
    if not pruned:
        return None
    return Action(
        kind=ActionKind.PRUNE,
        target=job.replica,
        workload=job.workload,
        reason=Reason.RETENTION,
        detail=(f"{len(pruned)} of {len(job.replica_points)} recovery points (copies from "
                f"'{job.source}') kept by no retention rule"),
        points=pruned,
    )


def unreachable_replica_warning(workload: str, source: str, replica: str) -> PlanWarning:
    """Copies cannot be planned while the replica cannot be read: say so, per workload."""
    return PlanWarning(
        kind=WarningKind.MISSING_COPY,
        target=replica,
        workload=workload,
        message=(f"replica '{replica}' of target '{source}' is unreachable; recovery points of "
                 f"workload '{workload}' are not copied in this apply"),
    )
