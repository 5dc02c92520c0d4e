"""Actual state: what the targets hold, as observed once before planning.

Observers (which do the I/O) build these values; the planner only reads them. Each
target carries a ``fingerprint`` of its recovery points so that a saved plan can be
refused when the target moved on after the plan was made (Terraform's stale-plan check).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bkctl.model.runs import RunRecord
from bkctl.model.tape_state import TapeState

__all__ = ["PointRecord", "TargetState", "ActualState", "fingerprint_points"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _aware_utc(value: datetime) -> datetime:
    """Naive times are refused: a point's time must say which instant it is."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("times must be timezone-aware (UTC inside bkctl)")
    return value.astimezone(UTC)


class PointRecord(_Frozen):
    """One recovery point of one workload in one target, as the target's catalog lists it.

    The one point type that crosses the target seam: drivers return it from ``backup`` and
    ``points``, observation collects it, the CLI lists it. How a driver stores a point
    (the repository's sealed document, a tape's session header) stays inside the driver.
    ``bytes`` is the size of the data backed up (logical); ``new_bytes`` the part of it
    that was new to the target (after deduplication, before compression); ``stored_bytes``
    what the point added to the target (after deduplication, compression and encryption).
    """

    id: str
    workload: str
    host: str
    time: datetime
    partial: bool = False
    bytes: int = 0
    stored_bytes: int = 0
    new_bytes: int = 0
    # Digest of the workload definition the point was made from ("" from older bkctl):
    # the planner compares it with today's definition (reason ``definition-changed``).
    definition: str = ""

    _utc = field_validator("time")(_aware_utc)


class TargetState(_Frozen):
    """What one target holds; an unreachable target has no points and an ``error``.

    An unreachable target also says what kind of failure kept it from being read
    (``error_kind``, the error's reference such as ``passphrase``) and the process exit
    code that failure has everywhere else (``error_code``, README's table), so that plan,
    apply and status fail with the same code as every other command meeting it.
    """

    name: str
    reachable: bool
    initialized: bool
    fingerprint: str = ""
    points: tuple[PointRecord, ...] = ()
    locks: tuple[str, ...] = ()
    error: str = ""
    error_kind: str = ""
    error_code: int = 0
    error_hint: str = ""
    last_verified: datetime | None = None
    damaged_points: tuple[str, ...] = ()  # point documents that failed authentication
    marked_bytes: int = 0  # data an earlier reclaim marked for deletion
    reclaim_ready: datetime | None = None  # when a later reclaim may delete some of it
    # What earlier runs did here, oldest first (bounded: see docs/repository-format.md, "Run records").
    runs: tuple[RunRecord, ...] = ()
    # Points held on media that is offline (an exported cartridge) or cannot be changed (WORM, object
    # lock), as the driver observes them; the 3-2-1-1-0 rule reads these, whatever the media.
    offline_points: tuple[str, ...] = ()
    immutable_points: tuple[str, ...] = ()
    # Vaults with ``immutable``: when each point document's S3 Object Lock retention ends (point id ->
    # retain-until, UTC); a point missing here has no lock. The planner keeps locked points from prunes
    # and extends the locks of points that retention keeps longer (bkctl/planner/locks.py).
    object_locks: dict[str, datetime] = Field(default_factory=dict, exclude_if=lambda value: not value)
    # The role of the key this run opened the repository with (bkctl/repo/roles.py): a writer
    # key's plan holds prunes, verifies and copies for a key that may run them.
    key_role: str = Field(default="owner", exclude_if=lambda value: value == "owner")
    # A key rotation whose re-encryption has not finished ("epoch 1 since 2026-11-30T..."): plan
    # holds a re-encrypt action until it has.
    key_rotation: str = Field(default="", exclude_if=lambda value: not value)
    # Disk targets with ``append_only``: the role of the key this run opened the repository with
    # ("writer", "manager") when it is not the owner's; deletes are then refused, so the planner
    # holds prunes and reclaims back for the owner (bkctl/planner/append_only.py).
    append_only_role: str = Field(default="", exclude_if=lambda value: not value)
    # A tape library's cartridges, media sets and point placements (None for other kinds).
    tape: TapeState | None = Field(default=None, exclude_if=lambda value: value is None)

    @field_validator("last_verified", "reclaim_ready")
    @classmethod
    def _verified_utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _aware_utc(value)

    @field_validator("object_locks")
    @classmethod
    def _locks_utc(cls, value: dict[str, datetime]) -> dict[str, datetime]:
        return {point: _aware_utc(until) for point, until in value.items()}

    def token(self) -> str:
        """What a saved plan records of this target to detect that it moved on.

        The fingerprint alone cannot tell an empty repository from a missing one, so
        reachability and initialisation are folded in.
        """
        if not self.reachable:
            return "unreachable"
        if not self.initialized:
            return "uninitialised"
        if self.tape is not None:  # cartridges moved (exported, recycled) also make a plan stale
            return hashlib.sha256(f"{self.fingerprint}\n{self.tape.digest()}".encode()).hexdigest()
        if self.object_locks:  # an extended lock changes which prunes and extend-locks a plan holds
            locks = "".join(f"{point}\t{until.isoformat()}\n" for point, until in sorted(self.object_locks.items()))
            return hashlib.sha256(f"{self.fingerprint}\n{locks}".encode()).hexdigest()
        return self.fingerprint

    def points_of(self, workload: str, host: str) -> tuple[PointRecord, ...]:
        """The points of one workload of one host, in the order the target listed them.

        The planner asks this for every (workload, target) and the protection, drill and
        cost checks again; filtering all points each time made a plan of 1,000 workloads
        in 3 targets of 100,000 points take 30 s (bench/planner_bench.py). The points are
        grouped once per target instead. The grouping is kept outside the fields (so it
        is neither compared, dumped nor hashed) and remembers the ``points`` it was built
        from, so a ``model_copy`` with other points builds its own.
        """
        return self.groups().get((workload, host), ())

    def groups(self) -> dict[tuple[str, str], tuple[PointRecord, ...]]:
        """Every (workload, host) with its points in listing order, first listed first."""
        built = self.__dict__.get(_BY_OWNER)
        if built is None or built[0] is not self.points:
            built = (self.points, _group_by_owner(self.points))
            self.__dict__[_BY_OWNER] = built  # a cache, not state: frozen fields stay untouched
        return built[1]


_BY_OWNER = "_points_by_owner"


def _group_by_owner(points: tuple[PointRecord, ...]) -> dict[tuple[str, str], tuple[PointRecord, ...]]:
    groups: dict[tuple[str, str], list[PointRecord]] = {}
    for point in points:
        groups.setdefault((point.workload, point.host), []).append(point)
    return {key: tuple(found) for key, found in groups.items()}


class ActualState(_Frozen):
    """Every observed target, by name, and the host this run acts for."""

    targets: dict[str, TargetState]
    host: str


def fingerprint_points(points: Iterable[PointRecord]) -> str:
    """sha256 over the sorted ids and times: any added, removed or rewritten point changes it."""
    digest = hashlib.sha256()
    for point in sorted(points, key=lambda p: (p.id, p.time)):
        digest.update(f"{point.id}\t{point.time.isoformat()}\t{int(point.partial)}\n".encode())
    return digest.hexdigest()
