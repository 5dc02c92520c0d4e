"""Locks: shared locks coexist, exclusive ones conflict, stale ones are taken over."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from bkctl.errors import RepositoryLockedError
from bkctl.repo.lock import RepositoryLock
from bkctl.store import MemoryStore


def foreign_lock(store: MemoryStore, *, pid: int, host: str, age: timedelta,
                 exclusive: bool = True) -> None:
    stamp = (datetime.now(UTC) - age).isoformat()
    store.put("locks/other", json.dumps({"host": host, "pid": pid, "exclusive": exclusive,
                                         "time": stamp, "refreshed": stamp}).encode())


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_shared_locks_coexist_and_are_released():
    store = MemoryStore()
    with RepositoryLock(store, kind="shared"), RepositoryLock(store, kind="shared"):
        assert len(list(store.list("locks/"))) == 2
    assert list(store.list("locks/")) == []


def test_exclusive_lock_conflicts_with_a_live_lock_and_names_it():
    store = MemoryStore()
    with RepositoryLock(store, kind="shared"), pytest.raises(RepositoryLockedError) as caught:
        RepositoryLock(store, kind="exclusive").__enter__()
    assert socket.gethostname() in str(caught.value) and "pid" in str(caught.value)
    assert len(list(store.list("locks/"))) == 0


def test_live_lock_on_another_host_blocks():
    store = MemoryStore()
    foreign_lock(store, pid=1, host="elsewhere", age=timedelta(minutes=1))
    with pytest.raises(RepositoryLockedError, match="elsewhere"):
        RepositoryLock(store, kind="shared").__enter__()


def test_lock_of_a_dead_process_is_removed_with_a_warning(caplog):
    store = MemoryStore()
    foreign_lock(store, pid=dead_pid(), host=socket.gethostname(), age=timedelta(seconds=5))
    with caplog.at_level(logging.WARNING, logger="bkctl"), RepositoryLock(store, kind="exclusive"):
        assert not store.exists("locks/other")
    assert "stale lock" in caplog.text


def test_lock_past_its_lease_is_stale_even_on_another_host():
    store = MemoryStore()
    foreign_lock(store, pid=1, host="elsewhere", age=timedelta(hours=2))
    with RepositoryLock(store, kind="exclusive"):
        assert not store.exists("locks/other")


def test_a_live_lock_says_when_it_goes_stale_and_how_to_remove_it():
    store = MemoryStore()
    foreign_lock(store, pid=1, host="elsewhere", age=timedelta(minutes=1))
    with pytest.raises(RepositoryLockedError) as caught:
        RepositoryLock(store, kind="exclusive").__enter__()
    text = str(caught.value)
    assert "becomes stale at" in text and "bkctl unlock --stale" in text and "--force" in text


def test_backups_do_not_wait_for_maintenance_but_maintenance_runs_one_at_a_time():
    store = MemoryStore()
    with RepositoryLock(store, kind="maintenance"):
        with RepositoryLock(store, kind="shared"):
            pass
        with pytest.raises(RepositoryLockedError):
            RepositoryLock(store, kind="maintenance").__enter__()


def test_a_lock_removed_by_another_process_is_lost_and_never_recreated():
    from bkctl.repo.lock import LockLostError, remove_locks

    store = MemoryStore()
    with RepositoryLock(store, kind="shared") as lock:
        remove_locks(store, only_stale=False)
        with pytest.raises(LockLostError):
            lock.confirm()
        assert not store.exists(lock.name)
    assert list(store.list("locks/")) == []


def test_unreadable_lock_counts_as_stale():
    store = MemoryStore()
    store.put("locks/garbage", b"\xff not json")
    with RepositoryLock(store, kind="exclusive"):
        assert not store.exists("locks/garbage")
