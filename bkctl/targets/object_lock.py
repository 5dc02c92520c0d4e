"""Object lock on a repository target: which points are locked, and their data locked as long.

A recovery point is only as immutable as the least-locked object it needs: its document,
the packs holding its trees and chunks (deduplication shares packs written long before),
the key objects that unwrap the master key, and the config. The rule kept here is that
every one of those is locked at least until the point's own document is:

- a backup or a copy into the target locks its new point's dependencies up to the point's
  date (new packs already carry it: dates are whole days, see
  :func:`bkctl.model.state_times.end_of_utc_day`; reused packs get a PutObjectRetention);
- ``extend-lock`` sets a later date on points *and* their dependencies, dependencies first.

Index objects are not locked: an index is rebuilt from the packs' own headers (`bkctl repair
index`), and a locked index would pin every pack it lists, including packs reclaim must free.
Repository locks, reclaim marks, run records and copy maps stay deletable too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bkctl.repo.reachability import used_blobs
from bkctl.repo.repository import Repository
from bkctl.store.objectlock import ObjectLockState

__all__ = ["LONG_LIVED", "ObjectLocks", "LockExtension", "point_locks", "needed_objects", "extend_locks",
           "lock_dependencies", "locked_among"]

LONG_LIVED = ("config", "keys/", "grants/", "sessions/", "data/", "points/")
"""Repository objects a locking store writes under retention (docs/vault.md, "Immutable copies")."""

_THREADS = 8


class ObjectLocks(Protocol):
    """What a repository target needs of a store that locks objects (bkctl.store.locked.LockingStore)."""

    def lock_states(self, names: Iterable[str]) -> dict[str, ObjectLockState]: ...

    def extend_lock(self, name: str, until: datetime, state: ObjectLockState | None = None) -> bool: ...

    def check_object_lock(self) -> None: ...


@dataclass(frozen=True)
class LockExtension:
    """What an extension did: points whose lock now lasts as asked, objects whose retention was lengthened."""

    points: int
    objects_extended: int
    objects_checked: int

    def describe(self) -> str:
        return (f"lock of {self.points} recovery point{'s' if self.points != 1 else ''} extended "
                f"({self.objects_extended} of {self.objects_checked} objects they need lengthened)")


def point_locks(locks: ObjectLocks, point_ids: Iterable[str]) -> dict[str, datetime]:
    """Point id -> retain-until of its document, for the points that have a lock."""
    states = locks.lock_states(f"points/{point}" for point in point_ids)
    return {name.removeprefix("points/"): state.until for name, state in states.items() if state.until is not None}


def needed_objects(repository: Repository, point_id: str, references: Iterable[bytes] | None = None) -> set[str]:
    """Every locked-kind object one point needs: config, keys, the grants and session keys that
    open its data (format 3), its document and every pack holding a copy of one of its blobs.

    ``references`` (the blob ids a backup just committed) replaces walking the point's trees,
    which a writer key cannot read.
    """
    index = repository.index
    if references is None:
        references = used_blobs(repository, [repository.get_point(point_id)])
    packs = {entry.pack for blob in references for entry in index.copies(blob)}
    keys = {*repository.store.list("keys/"), *repository.store.list("grants/"), *repository.store.list("sessions/")}
    return {"config", f"points/{point_id}", *keys, *packs}


def extend_locks(locks: ObjectLocks, repository: Repository, until: Mapping[str, datetime],
                 references: Mapping[str, Iterable[bytes]] | None = None) -> LockExtension:
    """Lock each point in ``until`` (and everything it needs) at least until its date.

    Dependencies are extended before the documents, so a point is never locked longer
    than the data it names. Idempotent: objects already locked long enough are left alone.
    """
    wanted: dict[str, datetime] = {}
    for point_id, date in until.items():
        for name in needed_objects(repository, point_id, (references or {}).get(point_id)):
            wanted[name] = max(date, wanted.get(name, date))
    states = locks.lock_states(wanted)
    documents = {name for name in wanted if name.startswith("points/")}
    extended = _extend(locks, {n: d for n, d in wanted.items() if n not in documents}, states)
    extended += _extend(locks, {n: d for n, d in wanted.items() if n in documents}, states)
    return LockExtension(points=len(until), objects_extended=extended, objects_checked=len(wanted))


def lock_dependencies(locks: ObjectLocks, repository: Repository, point_ids: Iterable[str],
                      references: Mapping[str, Iterable[bytes]] | None = None) -> LockExtension:
    """After a backup or copy: lock what each new point needs as long as the point itself
    (``references``: the blob ids each point was committed with, when the caller has them)."""
    dates = point_locks(locks, point_ids)
    return extend_locks(locks, repository, dates, references)


def locked_among(locks: ObjectLocks, now: Callable[[], datetime]) -> Callable[[set[str]], set[str]]:
    """A reclaim's ``held``: those of some names whose retention has not ended."""

    def held(names: set[str]) -> set[str]:
        moment = now()
        return {name for name, state in locks.lock_states(names).items()
                if state.until is not None and state.until > moment}

    return held


def _shorter(until: datetime | None, date: datetime) -> bool:
    return until is None or until < date


def _extend(locks: ObjectLocks, wanted: Mapping[str, datetime], states: Mapping[str, ObjectLockState]) -> int:
    short = [name for name, date in sorted(wanted.items()) if _shorter(states[name].until, date)]
    if not short:
        return 0
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        return sum(pool.map(lambda name: locks.extend_lock(name, wanted[name], states[name]), short))
