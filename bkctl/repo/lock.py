"""Repository locks: ``locks/<id>`` objects, shared for backups, exclusive for deletion.

A lock is stale when its process is gone (same host, pid not alive) or it was not
refreshed within the lease; stale locks are removed with a warning rather than blocking
scheduled runs forever after a crash. A live lock refreshes itself every lease/3.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
from datetime import UTC, datetime, timedelta
from types import TracebackType

from bkctl.errors import (
    BkctlError,
    NotFoundError,
    RepositoryCorruptError,
    RepositoryLockedError,
)
from bkctl.store.base import BlobStore

__all__ = ["LEASE", "RepositoryLock"]

LEASE = timedelta(minutes=30)
logger = logging.getLogger("bkctl")


class RepositoryLock:
    """Context manager holding one lock object for its duration."""

    def __init__(self, store: BlobStore, *, exclusive: bool, lease: timedelta = LEASE) -> None:
        self._store = store
        self.exclusive = exclusive
        self._lease = lease
        self.name = f"locks/{secrets.token_hex(16)}"
        self._stop = threading.Event()
        self._refresher: threading.Thread | None = None
        self._created = datetime.now(UTC)

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
        self._store.delete(self.name)

    def _write(self) -> None:
        document = {
            "host": socket.gethostname(), "pid": os.getpid(), "exclusive": self.exclusive,
            "time": self._created.isoformat(), "refreshed": datetime.now(UTC).isoformat(),
        }
        self._store.put(self.name, json.dumps(document).encode())

    def _refresh_loop(self) -> None:
        while not self._stop.wait(self._lease.total_seconds() / 3):
            try:
                self._write()
            except BkctlError as exc:  # keep trying; the lease leaves two more chances
                logger.warning("cannot refresh lock %s: %s", self.name, exc.message)

    def _check_conflicts(self) -> None:
        for name in list(self._store.list("locks/")):
            if name == self.name:
                continue
            try:
                other = _read(self._store, name)
            except NotFoundError:
                continue  # released while we looked
            if _is_stale(other, self._lease):
                logger.warning("removing stale lock %s (host %s, pid %s, since %s)",
                               name, other.get("host"), other.get("pid"), other.get("time"))
                self._store.delete(name)
                continue
            if self.exclusive or other.get("exclusive"):
                mode = "an exclusive" if other.get("exclusive") else "a shared"
                raise RepositoryLockedError(
                    f"repository is locked: {mode} lock held by host {other.get('host')} "
                    f"pid {other.get('pid')} since {other.get('time')}",
                    hint="wait for that run to finish; a lock of a dead process is removed "
                    "automatically",
                )


def _read(store: BlobStore, name: str) -> dict[str, object]:
    try:
        document = json.loads(store.get(name))
        if not isinstance(document, dict):
            raise ValueError("not an object")
        return document
    except ValueError as exc:
        raise RepositoryCorruptError(f"lock {name} is unreadable: {exc}") from None


def _is_stale(lock: dict[str, object], lease: timedelta) -> bool:
    try:
        refreshed = datetime.fromisoformat(str(lock.get("refreshed")))
    except ValueError:
        return True
    if datetime.now(UTC) - refreshed > lease:
        return True
    if lock.get("host") == socket.gethostname() and isinstance(lock.get("pid"), int):
        return not _process_alive(int(lock["pid"]))  # type: ignore[call-overload]
    return False


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
