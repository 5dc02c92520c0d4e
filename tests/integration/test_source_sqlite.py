"""SQLite workloads: a live database copied consistently while another connection writes."""

from __future__ import annotations

import sqlite3
import tempfile
import threading
from pathlib import Path

import pytest

from bkctl.archiver import save
from bkctl.errors import NotFoundError
from bkctl.repo import KdfParams, Repository
from bkctl.restorer import restore_stream
from bkctl.secrets import Secret
from bkctl.sources.sqlite import SqliteCopyError, SqliteSource, copy_database
from bkctl.store import LocalStore

ACCOUNTS = 100


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    return Repository.init(LocalStore(tmp_path / "repo"), Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "c")


def make_database(path: Path, *, wal: bool) -> None:
    with sqlite3.connect(path) as db:
        if wal:
            db.execute("pragma journal_mode=wal")
        db.execute("create table accounts (id integer primary key, balance integer not null)")
        db.execute("create table padding (blob blob)")
        db.executemany("insert into accounts values (?, 1000)", [(i,) for i in range(ACCOUNTS)])
        # About 8 MiB, so the stepped copy takes several steps while the writer commits.
        db.executemany("insert into padding values (randomblob(4096))", [()] * 2048)
    db.close()


def churn(path: Path, stop: threading.Event, commits: list[int]) -> None:
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    step = 0
    while not stop.is_set():
        step += 1
        a, b = step % ACCOUNTS, (step * 7 + 3) % ACCOUNTS
        db.execute("begin immediate")
        db.execute("update accounts set balance = balance - 5 where id = ?", (a,))
        db.execute("update accounts set balance = balance + 5 where id = ?", (b,))
        db.execute("commit")
        commits.append(step)
        stop.wait(0.001)  # an application does some work between transactions
    db.close()


@pytest.mark.parametrize("wal", [True, False], ids=["wal", "rollback-journal"])
def test_a_copy_under_concurrent_writes_is_whole_and_balanced(repo: Repository, tmp_path: Path, wal: bool):
    database = tmp_path / "app.db"
    make_database(database, wal=wal)
    stop, commits = threading.Event(), []
    writer = threading.Thread(target=churn, args=(database, stop, commits))
    writer.start()
    try:
        while len(commits) < 20:
            stop.wait(0.005)
        with SqliteSource(database).open("app") as items:
            point = save(repo, items, workload="app", host="h", compression=3)
        during = len(commits)
    finally:
        stop.set()
        writer.join()
    assert during > 20 and point.paths == ["app.db"] and point.meta["pages"] > 0
    restored = tmp_path / "restored.db"
    with restored.open("wb") as out:
        restore_stream(repo, point.id, out)
    db = sqlite3.connect(restored)
    assert db.execute("pragma integrity_check").fetchall() == [("ok",)]
    assert db.execute("select sum(balance), count(*) from accounts").fetchone() == (ACCOUNTS * 1000, ACCOUNTS)
    assert db.execute("select count(*) from padding").fetchone() == (2048,)
    db.close()


def test_a_missing_database_is_not_created(tmp_path: Path):
    with pytest.raises(NotFoundError):
        copy_database(tmp_path / "absent.db", tmp_path / "copy.db")
    assert not (tmp_path / "absent.db").exists()


def test_a_file_that_is_not_a_database_fails_and_leaves_no_temporary_copy(repo: Repository, tmp_path: Path,
                                                                          monkeypatch):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 1000)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.setattr(tempfile, "tempdir", None)
    with pytest.raises(SqliteCopyError), SqliteSource(junk).open("app") as items:
        save(repo, items, workload="app", host="h", compression=3)
    assert repo.list_points() == [] and list(temporary.iterdir()) == []
