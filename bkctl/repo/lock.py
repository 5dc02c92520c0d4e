"""Repository locks: ``locks/<id>`` objects of three kinds, so reclaim never blocks backups.

=============  ==============================================  =======================
kind           taken by                                        conflicts with
=============  ==============================================  =======================
``shared``     backup, copy, restore, verify                   ``exclusive``
``maintenance`` prune (deleting points), two-phase reclaim      ``maintenance``, ``exclusive``
``exclusive``  immediate reclaim, ``repair index``, unlock      every other lock
=============  ==============================================  =======================

Two-phase reclaim (:mod:`bkctl.repo.reclaim`) is what makes ``maintenance`` safe beside
running backups: it records the names of the locks present when it marks data and
deletes nothing while any of them is still held.

A lock is stale when its process is gone (same host, pid not alive) or it was not
refreshed within the lease; stale locks are removed with a warning rather than blocking
scheduled runs forever after a crash. A live lock refreshes itself every lease/3 and
notices when somebody removed it (``lost``): a backup whose lock was taken away must not
commit, because a reclaim may have deleted data it deduplicated against.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Literal

from bkctl.errors import (
    BkctlError,
    NotFoundError,
    RepositoryCorruptError,
    RepositoryLockedError,
)
from bkctl.store.base import BlobStore

__all__ = ["LEASE", "LockInfo", "LockKind", "LockLostError", "RepositoryLock", "read_locks", "remove_locks"]

LEASE = timedelta(minutes=30)
logger = logging.getLogger("bkctl")

LockKind = Literal["shared", "maintenance", "exclusive"]
_CONFLICTS: dict[str, frozenset[str]] = {
    "shared": frozenset({"exclusive"}),
    "maintenance": frozenset({"maintenance", "exclusive"}),
    "exclusive": frozenset({"shared", "maintenance", "exclusive"}),
}


class LockLostError(RepositoryLockedError):
    """Our own lock object disappeared (removed as stale while we were suspended)."""

    reference = "lock-lost"


@dataclass(frozen=True)
class LockInfo:
    """One lock object as read from the store; ``kind`` understands bkctl 0.1's documents."""

    name: str
    host: str
    pid: int | None
    kind: str
    created: str
    refreshed: datetime | None

    @classmethod
    def parse(cls, name: str, raw: bytes) -> LockInfo:
        try:
            document = json.loads(raw)
            if not isinstance(document, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            raise RepositoryCorruptError(f"lock {name} is unreadable: {exc}") from None
        kind = document.get("kind") or ("exclusive" if document.get("exclusive") else "shared")
        try:
            refreshed: datetime | None = datetime.fromisoformat(str(document.get("refreshed")))
        except ValueError:
            refreshed = None
        pid = document.get("pid")
        return cls(name, str(document.get("host", "?")), pid if isinstance(pid, int) else None,
                   str(kind), str(document.get("time", "?")), refreshed)

    def stale(self, lease: timedelta = LEASE) -> bool:
        if self.refreshed is None or datetime.now(UTC) - self.refreshed > lease:
            return True
        if self.host == socket.gethostname() and self.pid is not None:
            return not _process_alive(self.pid)
        return False

    def stale_at(self, lease: timedelta = LEASE) -> datetime | None:
        """When the lease runs out if the holder stops refreshing."""
        return None if self.refreshed is None else self.refreshed + lease

    def describe(self) -> str:
        return f"{self.kind} lock by host {self.host} pid {self.pid} since {self.created}"


class RepositoryLock:
    """Context manager holding one lock object for its duration."""

    def __init__(self, store: BlobStore, *, kind: LockKind = "shared", lease: timedelta = LEASE) -> None:
        self._store = store
        self.kind: LockKind = kind
        self._lease = lease
        self.name = f"locks/{secrets.token_hex(16)}"
        self._stop = threading.Event()
        self._refresher: threading.Thread | None = None
        self._created = datetime.now(UTC)
        self._write_lock = threading.Lock()
        self.lost = False

    @property
    def exclusive(self) -> bool:
        return self.kind == "exclusive"

    def __enter__(self) -> RepositoryLock:
        self._check_conflicts()
        self._write()
        try:
            self._check_conflicts()
        except RepositoryLockedError:
            self._store.delete(self.name)
            raise
        self._refresher = threading.Thread(target=self._refresh_loop, daemon=True,
                                           name="bkctl-lock-refresh")
        self._refresher.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stop.set()
        if self._refresher is not None:
            self._refresher.join()
        if not self.lost:
            self._store.delete(self.name)

    def confirm(self) -> None:
        """Refresh now and raise LockLostError unless our lock object is still there.

        Called right before a commit: after it the holder has a whole lease before
        anybody may call the lock stale, far longer than writing one point document.
        """
        with self._write_lock:
            if self.lost or not self._store.exists(self.name):
                self.lost = True
                raise LockLostError(
                    f"this process's lock {self.name} was removed by another process",
                    hint="the run was suspended past the lock lease (30 min); run it again")
            self._write_document()

    def _write(self) -> None:
        with self._write_lock:
            self._write_document()

    def _write_document(self) -> None:
        document = {
            "host": socket.gethostname(), "pid": os.getpid(), "kind": self.kind,
            "exclusive": self.kind == "exclusive", "time": self._created.isoformat(),
            "refreshed": datetime.now(UTC).isoformat(),
        }
        self._store.put(self.name, json.dumps(document).encode())

    def _refresh_loop(self) -> None:
        while not self._stop.wait(self._lease.total_seconds() / 3):
            try:
                with self._write_lock:
                    if not self._store.exists(self.name):
                        self.lost = True  # never recreate: whoever removed it may act on that
                        logger.warning("lock %s was removed by another process", self.name)
                        return
                    self._write_document()
            except BkctlError as exc:  # keep trying; the lease leaves two more chances
                logger.warning("cannot refresh lock %s: %s", self.name, exc.message)

    def _check_conflicts(self) -> None:
        for other in read_locks(self._store):
            if other.name == self.name:
                continue
            if other.stale(self._lease):
                logger.warning("removing stale lock %s (%s)", other.name, other.describe())
                self._store.delete(other.name)
                continue
            if other.kind in _CONFLICTS[self.kind]:
                raise _locked_error(other, self._lease)


def _locked_error(other: LockInfo, lease: timedelta) -> RepositoryLockedError:
    stale_at = other.stale_at(lease)
    when = f"; it becomes stale at {stale_at:%Y-%m-%d %H:%M:%S} UTC unless refreshed" if stale_at else ""
    return RepositoryLockedError(
        f"repository is locked: {other.describe()}{when}",
        hint="wait for that run to finish. If that process is gone: a lock of a dead process on this "
        "host is removed automatically; `bkctl unlock --stale` removes expired locks, and "
        "`bkctl unlock --force` removes every lock (only when you know no bkctl runs against this target)",
    )


def read_locks(store: BlobStore) -> Iterator[LockInfo]:
    """Every lock object that can be read now (ones released meanwhile are skipped)."""
    for name in list(store.list("locks/")):
        try:
            yield LockInfo.parse(name, store.get(name))
        except NotFoundError:
            continue
        except RepositoryCorruptError:  # a damaged lock must not block every run forever
            yield LockInfo(name, "?", None, "exclusive", "?", None)


def remove_locks(store: BlobStore, *, only_stale: bool, lease: timedelta = LEASE) -> list[LockInfo]:
    """Delete stale locks (or every lock); returns what was removed."""
    removed = []
    for lock in read_locks(store):
        if not only_stale or lock.stale(lease):
            store.delete(lock.name)
            removed.append(lock)
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
