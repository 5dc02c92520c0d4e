"""Two-phase reclaim beside running backups: every interleaving ends restorable or refused.

Two Repository objects on one store stand for two processes (each has its own cache and
in-memory index). A backup is driven step by step through the session API so a reclaim
can run at exactly the moment under test.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bkctl.archiver import backup_paths
from bkctl.errors import StorageFullError
from bkctl.repo import KdfParams, Repository
from bkctl.repo.lock import LockLostError, remove_locks
from bkctl.repo.marks import read_marks
from bkctl.repo.pack import PackBuilder
from bkctl.repo.points import PointInfo
from bkctl.repo.reclaim import reclaim
from bkctl.repo.repository import ConcurrentReclaimError
from bkctl.repo.tree import encode_tree
from bkctl.repo.verify import verify
from bkctl.restorer import restore_point
from bkctl.secrets import Secret
from bkctl.store import MemoryStore

NO_GRACE = timedelta(0)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def first(store: MemoryStore, tmp_path: Path) -> Repository:
    return Repository.init(store, Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "cache-1")


@pytest.fixture
def second(store: MemoryStore, first: Repository, tmp_path: Path) -> Repository:
    return Repository.open(store, Secret("pw"), cache_dir=tmp_path / "cache-2")


def stream_point(repo: Repository, data: bytes, references: set[bytes] | None = None) -> PointInfo:
    """Commit a one-file point holding ``data`` inside the current session."""
    chunk = repo.save_blob("d", data, 3).blob_id
    tree = repo.save_blob("t", encode_tree([{"name": "f", "type": "file", "mode": 0o600, "size": len(data),
                                             "mtime_ns": 0, "content": [chunk.hex()]}]), 3).blob_id
    repo.flush()
    point = PointInfo(id=secrets.token_hex(16), workload="w", host="h", time=datetime.now(UTC), partial=False,
                      stats={}, meta={}, kind="stream", root=tree.hex(), paths=["f"])
    repo.commit_point(point, {chunk, tree} if references is None else references)
    return point


def restored_bytes(repo: Repository, point: PointInfo, tmp_path: Path) -> bytes:
    out = tmp_path / f"out-{point.id[:8]}"
    restore_point(repo, point.id, out)
    return (out / "f").read_bytes()


def test_backup_deduplicating_while_a_reclaim_marks_stays_restorable(first, second, tmp_path):
    shared = os.urandom(50_000)
    with first.session():
        old = stream_point(first, shared)
    with second.session():
        assert not second.save_blob("d", shared, 3).new  # deduplicated against the old point
        first.delete_points([old.id])
        stats = reclaim(first, grace=NO_GRACE)
        assert stats.packs_marked == 1
        assert reclaim(first, grace=NO_GRACE).packs_deleted == 0  # our lock holds the mark back
        new = stream_point(second, shared)
    stats = reclaim(first, grace=NO_GRACE)
    assert stats.packs_deleted == 0  # the new point uses the marked pack: it stays
    assert read_marks(first.store, first.key).marks == ()
    assert verify(first, read_data_percent=100).ok
    assert restored_bytes(first, new, tmp_path) == shared


def test_backup_after_a_mark_stores_the_data_again(first, second):
    shared = os.urandom(50_000)
    with first.session():
        old = stream_point(first, shared)
    first.delete_points([old.id])
    reclaim(first, grace=NO_GRACE)
    with second.session():
        assert second.save_blob("d", shared, 3).new  # the marked copy is never reused
        stream_point(second, shared)
    assert reclaim(first, grace=NO_GRACE).packs_deleted == 1
    assert verify(first, read_data_percent=100).ok


def test_one_repository_object_rereads_the_index_for_every_backup(first, second, tmp_path):
    """Defect 1: the second backup of one apply must not trust the first one's index."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "data.bin").write_bytes(os.urandom(300_000))
    old = backup_paths(first, workload="old", host="h", paths=[source])
    second.delete_points([old.id])
    reclaim(second, immediate=True)  # another process deletes everything the old point had
    point = backup_paths(first, workload="b", host="h", paths=[source])  # same object, later backup
    assert point.stats["new_chunks"] >= 1
    report = verify(second, read_data_percent=100)
    assert report.ok, report.problems
    restore_point(second, point.id, tmp_path / "out")


def test_commit_refused_when_referenced_data_vanished(first, second):
    shared = os.urandom(50_000)
    with first.session():
        old = stream_point(first, shared)
    with second.session():
        assert not second.save_blob("d", shared, 3).new
        first.delete_points([old.id])
        for name in list(first.store.list("index/")):  # a reclaim that ignored every rule
            first.store.delete(name)
        with pytest.raises(ConcurrentReclaimError, match="no recovery point was written"):
            stream_point(second, shared)
    assert first.list_points() == []


def test_commit_refused_when_the_lock_was_taken_away(first, second):
    with second.session():
        second.save_blob("d", b"payload" * 100, 3)
        remove_locks(first.store, only_stale=False)  # `bkctl unlock --force` while we run
        with pytest.raises(LockLostError):
            stream_point(second, b"payload" * 100)
    assert second.list_points() == []


def test_packs_of_an_interrupted_backup_are_marked_then_deleted(first):
    builder = PackBuilder()  # a pack stored, never indexed: what a kill before the index write leaves
    builder.add(b"\x01" * 32, "d", first.key.seal(b"orphan"), 6)
    orphan = builder.finish(first.key)
    orphan.store(first.store)
    assert reclaim(first, grace=NO_GRACE).packs_marked == 1
    assert reclaim(first, grace=NO_GRACE).packs_deleted == 1
    assert list(first.store.list("data/")) == []


def test_a_mark_waits_for_its_grace_period(first):
    with first.session():
        old = stream_point(first, os.urandom(5_000))
    first.delete_points([old.id])
    assert reclaim(first, grace=timedelta(hours=1)).packs_marked == 1
    stats = reclaim(first, grace=timedelta(hours=1))
    assert stats.packs_deleted == 0 and stats.marks_waiting == 1
    assert reclaim(first, grace=NO_GRACE).packs_deleted == 1


class IndexWritesFail(MemoryStore):
    """A store whose disk fills up exactly when the index is written."""

    def put(self, name: str, data: bytes) -> None:
        if name.startswith("index/"):
            raise StorageFullError(f"no space left while writing {name}")
        super().put(name, data)


def test_a_full_disk_at_the_index_write_leaves_no_orphan_packs(tmp_path, monkeypatch):
    monkeypatch.setattr("bkctl.repo.pack.PACK_TARGET_SIZE", 64 << 10)  # many small packs
    repo = Repository.init(IndexWritesFail(), Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "c")
    source = tmp_path / "src"
    source.mkdir()
    for number in range(8):
        (source / f"f{number}").write_bytes(os.urandom(100_000))
    with pytest.raises(StorageFullError):
        backup_paths(repo, workload="w", host="h", paths=[source])
    assert list(repo.store.list("data/")) == [] and repo.list_points() == []
    assert len(repo.index) == 0  # nothing of the failed run is trusted for dedup later


def test_mark_without_its_lock_list_is_dropped_and_redone(first, monkeypatch):
    with first.session():
        old = stream_point(first, os.urandom(5_000))
    first.delete_points([old.id])
    real = first.write_mark
    calls = []

    def die_after_first_write(mark):
        real(mark)
        calls.append(mark)
        if len(calls) == 1:
            raise KeyboardInterrupt  # the process dies between the two writes

    monkeypatch.setattr(first, "write_mark", die_after_first_write)
    with pytest.raises(KeyboardInterrupt):
        reclaim(first, grace=NO_GRACE)
    monkeypatch.setattr(first, "write_mark", real)
    [unfinished] = first.read_marks().marks
    assert not unfinished.ready
    stats = reclaim(first, grace=NO_GRACE)
    assert stats.packs_marked == 1 and unfinished.name not in set(first.store.list("marks/"))
    assert reclaim(first, grace=NO_GRACE).packs_deleted == 1


def test_reclaim_refuses_while_a_point_document_is_damaged(first, tmp_path):
    with first.session():
        kept = stream_point(first, os.urandom(5_000))
        stream_point(first, os.urandom(5_000))
    raw = bytearray(first.store.get(f"points/{kept.id}"))
    raw[40] ^= 1
    first.store.put(f"points/{kept.id}", bytes(raw))
    fresh = Repository.open(first.store, Secret("pw"), cache_dir=tmp_path / "empty")
    assert len(fresh.list_points()) == 1 and fresh.damaged_points() == [kept.id]
    with pytest.raises(Exception, match="reclaim refuses"):
        reclaim(fresh, grace=NO_GRACE)
    assert len(list(first.store.list("data/"))) >= 1


def test_damage_in_the_local_cache_stays_local(first, tmp_path):
    with first.session():
        point = stream_point(first, os.urandom(5_000))
    warm = Repository.open(first.store, Secret("pw"), cache_dir=tmp_path / "cache-1")
    assert len(warm.index) == 2  # reading fills the cache with the index objects
    for name in [f"points/{point.id}", *first.store.list("index/")]:
        cached = first.cache.root.joinpath(*name.split("/"))
        data = bytearray(cached.read_bytes())
        data[len(data) // 2] ^= 0x01
        cached.write_bytes(bytes(data))
    reopened = Repository.open(first.store, Secret("pw"), cache_dir=tmp_path / "cache-1")
    assert [p.id for p in reopened.list_points()] == [point.id] and not reopened.damaged
    assert len(reopened.index) == 2
    assert reopened.cache.get(f"points/{point.id}") == first.store.get(f"points/{point.id}")  # healed


class BackupDuringListing(MemoryStore):
    """Runs ``during`` once, right after the first listing of points or index objects:
    another process committing a backup while verify reads the repository."""

    def __init__(self) -> None:
        super().__init__()
        self.during: object = None

    def list(self, prefix: str = ""):  # type: ignore[no-untyped-def]
        names = super().list(prefix)
        if callable(self.during) and prefix in ("points/", "index/"):
            action, self.during = self.during, None
            action()
        return names


def test_verify_beside_a_committing_backup_reports_no_false_damage(tmp_path):
    store = BackupDuringListing()
    checker = Repository.init(store, Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "c1")
    writer = Repository.open(store, Secret("pw"), cache_dir=tmp_path / "c2")
    with writer.session():
        stream_point(writer, os.urandom(5_000))

    def commit_another() -> None:
        with writer.session():
            stream_point(writer, os.urandom(5_000))

    store.during = commit_another
    report = verify(checker, read_data_percent=100)
    assert report.ok, report.problems
    assert len(checker.list_points()) == 2
