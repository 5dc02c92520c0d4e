"""A plan as data: a closed set of actions and reasons, warnings, and what it was made from.

Apply acts on ``kind``, target, workload and point ids; the ``reason`` and ``detail`` only
explain the plan to people and are never used to decide anything (Terraform's rule).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "PLAN_FORMAT_VERSION",
    "ActionKind",
    "Reason",
    "PrunedPoint",
    "Action",
    "WarningKind",
    "PlanWarning",
    "Warning",
    "Plan",
]

PLAN_FORMAT_VERSION = 1


class ActionKind(StrEnum):
    """What apply does; the order of members is the order actions appear in a plan."""

    INIT_TARGET = "init-target"
    BACKUP = "backup"
    COPY = "copy"
    PRUNE = "prune"
    RECLAIM = "reclaim"
    VERIFY = "verify"


class Reason(StrEnum):
    """Why an action is in the plan (closed set, for people and reports only)."""

    TARGET_NOT_INITIALISED = "target-not-initialised"
    NEVER_BACKED_UP = "never-backed-up"
    SCHEDULE_DUE = "schedule-due"
    FORCED = "forced"
    MISSING_COPY = "missing-copy"
    RETENTION = "retention"
    ORPHANED = "orphaned"
    UNREFERENCED_DATA = "unreferenced-data"
    VERIFY_DUE = "verify-due"
    MARKED_DATA = "marked-data"


class WarningKind(StrEnum):
    """Things an operator should know that are not actions."""

    ORPHANED_POINTS = "orphaned-points"
    RPO_BREACH = "rpo-breach"
    UNREACHABLE_TARGET = "unreachable-target"
    LOCK_HELD = "lock-held"
    MASS_PRUNE = "mass-prune"
    MISSING_COPY = "missing-copy"
    TOOL_MISSING = "tool-missing"
    DAMAGED_POINTS = "damaged-points"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PrunedPoint(_Frozen):
    """A recovery point a prune deletes, with the rules that did not keep it."""

    id: str
    time: datetime
    rules_not_keeping: tuple[str, ...] = ()


class Action(_Frozen):
    """One step of a plan.

    A ``copy`` reads from ``source`` and writes into ``target`` the listed ``points``,
    plus the point this apply's backup of the workload into ``source`` makes (that point
    has no id at plan time). ``source`` is left out of the JSON when unset, so plans
    without copies read exactly as before.
    """

    kind: ActionKind
    target: str
    workload: str | None = None
    reason: Reason
    detail: str = ""
    points: tuple[PrunedPoint, ...] = ()
    source: str | None = Field(default=None, exclude_if=lambda value: value is None)
    # A ``verify`` reads back this percentage of the stored data (the most any policy asks).
    read_data: float | None = Field(default=None, exclude_if=lambda value: value is None)


class PlanWarning(_Frozen):
    """A finding that is not an action (named so as not to shadow the builtin ``Warning``)."""

    kind: WarningKind
    message: str
    target: str | None = None
    workload: str | None = None


Warning = PlanWarning  # the name the design uses; PlanWarning is preferred


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


class Plan(_Frozen):
    """The ordered actions that take actual state to desired state, and their provenance.

    ``fingerprints`` holds, per target, the token of the state the plan was made from,
    so that apply can refuse a stale plan. ``needs_confirmation`` is set when the plan
    prunes more points than the manifest allows in one apply (``--allow-mass-prune``).
    """

    format_version: int = PLAN_FORMAT_VERSION
    created: datetime
    now: datetime
    host: str = ""
    manifest_digest: str = ""
    fingerprints: dict[str, str] = {}
    actions: tuple[Action, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()
    errors: tuple[str, ...] = ()
    needs_confirmation: bool = False

    @property
    def has_changes(self) -> bool:
        return bool(self.actions)

    def count(self, kind: ActionKind) -> int:
        """Number of actions of a kind; for prunes, the number of points deleted."""
        chosen = [a for a in self.actions if a.kind == kind]
        if kind == ActionKind.PRUNE:
            return sum(len(a.points) for a in chosen)
        return len(chosen)

    def summary(self) -> str:
        """One line such as ``Plan: 3 backups, 12 prunes, 1 target to initialise.``"""
        if not self.has_changes:
            return "No changes."
        words = {
            ActionKind.INIT_TARGET: ("target to initialise", "targets to initialise"),
            ActionKind.BACKUP: ("backup", "backups"),
            ActionKind.COPY: ("copy", "copies"),
            ActionKind.PRUNE: ("prune", "prunes"),
            ActionKind.RECLAIM: ("reclaim", "reclaims"),
            ActionKind.VERIFY: ("verify", "verifies"),
        }
        order = [ActionKind.BACKUP, ActionKind.COPY, ActionKind.PRUNE, ActionKind.INIT_TARGET,
                 ActionKind.RECLAIM, ActionKind.VERIFY]
        parts = [
            _plural(self.count(kind), *words[kind]) for kind in order if self.count(kind)
        ]
        return "Plan: " + ", ".join(parts) + "."
