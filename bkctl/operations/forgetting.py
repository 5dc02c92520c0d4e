"""``bkctl forget``: delete named points with prune's safety rails; their data goes in a later reclaim."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bkctl.errors import BkctlError, UsageError
from bkctl.operations.browsing import FORMAT_VERSION, readable_points, resolve_point
from bkctl.operations.points import PointRow
from bkctl.planner.prunes import MASS_PRUNE_SHARE_MIN_POINTS
from bkctl.targets.base import (
    DamagedPoints,
)
from bkctl.workspace import Workspace


class ForgetRefusedError(UsageError):
    reference = "forget-refused"


@dataclass
class ForgetRequest:
    """What ``forget`` would delete: readable points per target, damaged documents, and the
    targets that could not be read (a copy they hold stays)."""

    rows: list[PointRow]
    damaged: list[tuple[str, str]]
    failures: dict[str, BkctlError]


def request_forget(workspace: Workspace, ids: list[str], *, target: str | None = None, allow_last: bool = False,
                   allow_mass_prune: bool = False) -> ForgetRequest:
    """Resolve ``ids`` (ids or unique prefixes) in every target holding them, then apply
    prune's rails: settings.max_prune_per_apply and the more-than-half share need
    ``allow_mass_prune``; leaving a workload with no complete point in a target needs
    ``allow_last``. Damaged documents are outside the rails: no one can restore them."""
    found = readable_points(workspace, [target] if target else None)
    rows: dict[tuple[str, str], PointRow] = {}
    damaged: set[tuple[str, str]] = set()
    for prefix in ids:
        matched, broken = resolve_point(found, prefix)
        rows.update({(r.target, r.point.id): r for r in matched})
        damaged.update(broken)
    request = ForgetRequest(sorted(rows.values(), key=lambda r: (r.point.time, r.target)), sorted(damaged),
                            found.failures)
    refusals = forget_refusals(request.rows, found.rows, limit=workspace.manifest.settings.max_prune_per_apply,
                               allow_last=allow_last, allow_mass_prune=allow_mass_prune)
    if refusals:
        raise ForgetRefusedError("; ".join(refusals), hint="nothing was deleted")
    return request


def forget_refusals(doomed_rows: list[PointRow], held_rows: list[PointRow], *, limit: int, allow_last: bool,
                    allow_mass_prune: bool) -> list[str]:
    """Why deleting ``doomed_rows`` out of ``held_rows`` is refused (none: it may go ahead)."""
    refusals = []
    if len(doomed_rows) > limit and not allow_mass_prune:
        refusals.append(f"forgetting {len(doomed_rows)} recovery points is more than settings.max_prune_per_apply "
                        f"({limit}); pass --allow-mass-prune")
    doomed = {(r.target, r.point.id) for r in doomed_rows}
    groups: dict[tuple[str, str, str], list[PointRow]] = {}
    for row in held_rows:
        groups.setdefault((row.target, row.point.workload, row.point.host), []).append(row)
    for (target, workload, host), held in sorted(groups.items()):
        gone = [r for r in held if (r.target, r.point.id) in doomed]
        kept_complete = [r for r in held if not r.point.partial and (r.target, r.point.id) not in doomed]
        where = f"workload '{workload}' (host {host}) in target '{target}'"
        if gone and len(held) >= MASS_PRUNE_SHARE_MIN_POINTS and len(gone) * 2 > len(held) and not allow_mass_prune:
            refusals.append(f"forgetting {len(gone)} of the {len(held)} points of {where} is more than half; "
                            "pass --allow-mass-prune")
        if gone and not kept_complete and any(not r.point.partial for r in gone) and not allow_last:
            refusals.append(f"{where} would keep no complete recovery point; pass --allow-last")
    return refusals


@dataclass
class ForgetResult:
    deleted: list[PointRow] = field(default_factory=list)
    removed_damaged: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, "deleted": [r.as_dict() for r in self.deleted],
                "removed_damaged": [{"target": t, "id": i} for t, i in self.removed_damaged]}


def forget(workspace: Workspace, request: ForgetRequest) -> ForgetResult:
    """Delete the point documents ``request`` names; their data goes in a later reclaim."""
    result = ForgetResult()
    for name in sorted({r.target for r in request.rows} | {t for t, _ in request.damaged}):
        rows = [r for r in request.rows if r.target == name]
        if rows:
            workspace.driver(name).delete_points([r.point.id for r in rows])
            result.deleted += rows
        broken = [i for t, i in request.damaged if t == name]
        driver = workspace.driver(name)
        if broken and isinstance(driver, DamagedPoints):
            result.removed_damaged += [(name, i) for i in driver.remove_damaged_points(broken)]
    return result


