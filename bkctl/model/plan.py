"""A plan as data: a closed set of actions and reasons, warnings, and what it was made from.

Apply acts on ``kind``, target, workload and point ids; the ``reason`` and ``detail`` only
explain the plan to people and are never used to decide anything (Terraform's rule).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from bkctl.model.pricing import TargetCost

__all__ = [
    "PLAN_FORMAT_VERSION",
    "ActionKind",
    "Reason",
    "PrunedPoint",
    "Action",
    "WarningKind",
    "PlanWarning",
    "Warning",
    "ErrorKind",
    "PlanError",
    "Plan",
    "combined_exit_code",
]

PLAN_FORMAT_VERSION = 1


class ActionKind(StrEnum):
    """What apply does; the order of members is the order actions appear in a plan."""

    INIT_TARGET = "init-target"
    LABEL_CARTRIDGE = "label-cartridge"
    IMPORT_CARTRIDGE = "import-cartridge"
    RECYCLE_CARTRIDGE = "recycle-cartridge"
    BACKUP = "backup"
    COPY = "copy"
    PRUNE = "prune"
    EXTEND_LOCK = "extend-lock"
    REENCRYPT = "re-encrypt"
    RECLAIM = "reclaim"
    VERIFY = "verify"
    DRILL = "drill"
    EXPORT_CARTRIDGE = "export-cartridge"


class Reason(StrEnum):
    """Why an action is in the plan (closed set, for people and reports only)."""

    TARGET_NOT_INITIALISED = "target-not-initialised"
    NEVER_BACKED_UP = "never-backed-up"
    SCHEDULE_DUE = "schedule-due"
    DEFINITION_CHANGED = "definition-changed"
    FORCED = "forced"
    MISSING_COPY = "missing-copy"
    RETENTION = "retention"
    ORPHANED = "orphaned"
    UNREFERENCED_DATA = "unreferenced-data"
    VERIFY_DUE = "verify-due"
    MARKED_DATA = "marked-data"
    KEY_ROTATION = "key-rotation"
    DRILL_DUE = "drill-due"
    GFS_ROTATION = "gfs-rotation"  # a tape pool receives the source's weekly/monthly/yearly points
    BLANK_CARTRIDGES = "blank-cartridges"  # cartridges never labelled
    CARTRIDGE_NEEDED = "cartridge-needed"  # a write needs a cartridge and no scratch one is left
    OFFSITE_ROTATION = "offsite-rotation"  # a pool sends its closed media sets to a vault
    OFFSITE_EXPIRED = "offsite-expired"  # every point on an off-site cartridge expired: back to recycle
    LOCK_ENDS_FIRST = "lock-ends-first"  # retention keeps a point past the end of its object lock


class WarningKind(StrEnum):
    """Things an operator should know that are not actions."""

    ORPHANED_POINTS = "orphaned-points"
    RPO_BREACH = "rpo-breach"
    UNREACHABLE_TARGET = "unreachable-target"  # not emitted since unreadable targets are plan errors
    LOCK_HELD = "lock-held"
    MASS_PRUNE = "mass-prune"
    MISSING_COPY = "missing-copy"
    TOOL_MISSING = "tool-missing"
    DAMAGED_POINTS = "damaged-points"
    SOURCE_MISSING = "source-missing"
    DRILL_RTO_BREACH = "drill-rto-breach"
    DRILL_FAILED = "drill-failed"
    PROTECTION = "protection"
    EARLY_DELETION = "early-deletion"
    SCRATCH_EXHAUSTED = "scratch-exhausted"
    MEDIA_OFFSITE = "media-offsite"
    DIRTY_CARTRIDGE = "dirty-cartridge"
    CATALOG_OUT_OF_SYNC = "catalog-out-of-sync"
    MEDIA_REFRESH_DUE = "media-refresh-due"
    KEPT_BY_LOCK = "kept-by-lock"  # retention would prune points whose object lock has not ended
    KEY_ROLE = "key-role"  # actions the key of a target may not run (a writer key pruning), held
    KEPT_APPEND_ONLY = "kept-append-only"  # prunes an append-only target refuses to this run's non-owner key


class ErrorKind(StrEnum):
    """Why a plan is incomplete: the errors that make ``plan`` and ``apply`` exit non-zero."""

    TARGET_UNREACHABLE = "target-unreachable"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PrunedPoint(_Frozen):
    """A recovery point a prune deletes, with the rules that did not keep it.

    An ``extend-lock`` lists its points here too: ``lock_until`` is the retain-until date
    apply sets (on the point and everything it needs); ``lock_ends`` the date its lock
    ends now (unset: no lock) and ``retained_until`` when retention is expected to let
    the point go, for people. The three are left out of the JSON when unset.
    """

    id: str
    time: datetime
    rules_not_keeping: tuple[str, ...] = ()
    retained_until: datetime | None = Field(default=None, exclude_if=lambda value: value is None)
    lock_ends: datetime | None = Field(default=None, exclude_if=lambda value: value is None)
    lock_until: datetime | None = Field(default=None, exclude_if=lambda value: value is None)


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
    # Tape: the pool a backup or copy writes into, the cartridges an action uses (in
    # order; for label/recycle/export/import the cartridges it moves), and the estimated
    # duration from the target's load/locate/rate assumptions.
    pool: str | None = Field(default=None, exclude_if=lambda value: value is None)
    cartridges: tuple[str, ...] = Field(default=(), exclude_if=lambda value: not value)
    estimate_seconds: float | None = Field(default=None, exclude_if=lambda value: value is None)


class PlanWarning(_Frozen):
    """A finding that is not an action (named so as not to shadow the builtin ``Warning``)."""

    kind: WarningKind
    message: str
    target: str | None = None
    workload: str | None = None


Warning = PlanWarning  # the name the design uses; PlanWarning is preferred


# Short words for the summary line, by the reference of the error that stopped observation.
_CAUSES = {
    "passphrase": "wrong or missing passphrase",
    "credentials-missing": "missing credentials",
    "credentials-rejected": "credentials rejected",
    "container-missing": "container missing",
    "object-lock-unavailable": "object lock not enabled",
    "vault-provider-unknown": "unknown provider",
    "repository-corrupt": "corrupt repository",
    "repository-locked": "repository locked",
    "target-unreachable": "cannot connect",
    "storage-transient": "cannot connect",
}


class PlanError(_Frozen):
    """A part of the desired state the plan could not cover, e.g. a target it could not read.

    ``exit_code`` is the code the README's table gives the underlying failure (65 for a
    wrong passphrase, 69 for a server that does not answer), so a plan that meets it exits
    as every other command meeting it does. ``cause`` is that failure's reference.
    """

    kind: ErrorKind
    message: str
    target: str | None = None
    cause: str = ""
    hint: str = ""
    exit_code: int = 1

    def label(self) -> str:
        """A few words for the summary line: ``wrong or missing passphrase``."""
        return _CAUSES.get(self.cause, "cannot be read")


def combined_exit_code(codes: Iterable[int]) -> int:
    """The one exit code of several failures: theirs when they all agree, else 1.

    A script can then act on 65 (fix the passphrase) or 69 (the server is down) whenever
    that is the only trouble, and still sees a failure (1) when troubles are mixed.
    """
    distinct = {code for code in codes if code}
    if not distinct:
        return 0
    return distinct.pop() if len(distinct) == 1 else 1


_CARTRIDGE_KINDS = (ActionKind.LABEL_CARTRIDGE, ActionKind.IMPORT_CARTRIDGE, ActionKind.RECYCLE_CARTRIDGE,
                    ActionKind.EXPORT_CARTRIDGE)


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


class Plan(_Frozen):
    """The ordered actions that take actual state to desired state, and their provenance.

    ``fingerprints`` holds, per target, the token of the state the plan was made from,
    so that apply can refuse a stale plan. ``needs_confirmation`` is set when the plan
    prunes more points than the manifest allows in one apply (``--allow-mass-prune``).
    ``errors`` name what the plan could not cover (a target it could not read); a plan
    with errors is incomplete and ``plan`` and ``apply`` exit with ``exit_code``.
    ``manifest`` is the absolute path of the manifest a saved plan was made from, so
    ``bkctl apply PLANFILE`` finds it from any directory (left out when unset).
    """

    format_version: int = PLAN_FORMAT_VERSION
    created: datetime
    now: datetime
    host: str = ""
    manifest: str = Field(default="", exclude_if=lambda value: not value)
    manifest_digest: str = ""
    fingerprints: dict[str, str] = {}
    actions: tuple[Action, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()
    errors: tuple[PlanError, ...] = ()
    needs_confirmation: bool = False
    # Storage and monthly cost per target; only when the manifest prices a target (left out otherwise).
    costs: tuple[TargetCost, ...] = Field(default=(), exclude_if=lambda value: not value)

    @property
    def has_changes(self) -> bool:
        return bool(self.actions)

    @property
    def exit_code(self) -> int:
        """0 for a complete plan; else the errors' code (see ``combined_exit_code``)."""
        return combined_exit_code(error.exit_code for error in self.errors)

    def unreachable(self) -> list[PlanError]:
        return [e for e in self.errors if e.kind == ErrorKind.TARGET_UNREACHABLE]

    def count(self, kind: ActionKind) -> int:
        """Number of actions of a kind; for prunes and extend-locks, the number of points."""
        chosen = [a for a in self.actions if a.kind == kind]
        if kind in (ActionKind.PRUNE, ActionKind.EXTEND_LOCK):
            return sum(len(a.points) for a in chosen)
        if kind in _CARTRIDGE_KINDS:
            return sum(len(a.cartridges) or 1 for a in chosen)
        return len(chosen)

    def summary(self) -> str:
        """One line such as ``Plan: 3 backups, 12 prunes, 1 target to initialise.``

        A plan that could not read a target says so in the same line, so that nobody
        takes "No changes." for the truth: ``Plan: 2 backups. 1 target unreachable:
        offsite (wrong or missing passphrase).``
        """
        unreachable = self.unreachable()
        if not unreachable:
            return self._changes()
        names = ", ".join(f"{e.target} ({e.label()})" for e in unreachable)
        head = self._changes() if self.has_changes else "No changes in the targets that could be read."
        return f"{head} {_plural(len(unreachable), 'target')} unreachable: {names}."

    def _changes(self) -> str:
        if not self.has_changes:
            return "No changes."
        words = {
            ActionKind.INIT_TARGET: ("target to initialise", "targets to initialise"),
            ActionKind.BACKUP: ("backup", "backups"),
            ActionKind.COPY: ("copy", "copies"),
            ActionKind.PRUNE: ("prune", "prunes"),
            ActionKind.EXTEND_LOCK: ("lock to extend", "locks to extend"),
            ActionKind.RECLAIM: ("reclaim", "reclaims"),
            ActionKind.REENCRYPT: ("re-encryption", "re-encryptions"),
            ActionKind.VERIFY: ("verify", "verifies"),
            ActionKind.DRILL: ("drill", "drills"),
            ActionKind.LABEL_CARTRIDGE: ("cartridge to label", "cartridges to label"),
            ActionKind.IMPORT_CARTRIDGE: ("cartridge to import", "cartridges to import"),
            ActionKind.RECYCLE_CARTRIDGE: ("cartridge to recycle", "cartridges to recycle"),
            ActionKind.EXPORT_CARTRIDGE: ("cartridge to export", "cartridges to export"),
        }
        order = [ActionKind.BACKUP, ActionKind.COPY, ActionKind.PRUNE, ActionKind.EXTEND_LOCK, ActionKind.REENCRYPT,
                 ActionKind.INIT_TARGET,
                 ActionKind.RECLAIM, ActionKind.VERIFY, ActionKind.DRILL, *_CARTRIDGE_KINDS]
        parts = [
            _plural(self.count(kind), *words[kind]) for kind in order if self.count(kind)
        ]
        return "Plan: " + ", ".join(parts) + "."
