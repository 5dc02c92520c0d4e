"""Deleting points and reclaiming: unreferenced packs go, shared data stays."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bkctl.archiver import backup_paths
from bkctl.errors import NotFoundError, RepositoryLockedError
from bkctl.repo import KdfParams, Repository
from bkctl.repo.lock import RepositoryLock
from bkctl.repo.reclaim import reclaim
from bkctl.repo.verify import verify
from bkctl.restorer import restore_point
from bkctl.secrets import Secret
from bkctl.store import MemoryStore


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    return Repository.init(MemoryStore(), Secret("pw"), kdf=KdfParams.fast(),
                           cache_dir=tmp_path / "c")


def test_reclaim_drops_data_of_deleted_points_only(repo, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "shared").write_bytes(os.urandom(300_000))
    (src / "gone").write_bytes(os.urandom(400_000))
    old = backup_paths(repo, workload="w", host="h", paths=[src])
    (src / "gone").unlink()
    new = backup_paths(repo, workload="w", host="h", paths=[src])
    repo.delete_points([old.id[:10]])
    assert [p.id for p in repo.list_points()] == [new.id]
    stored_before = sum(len(repo.store.get(n)) for n in repo.store.list("data/"))
    stats = reclaim(repo)
    assert stats.packs_repacked == 1  # one pack, half of it unused
    stored_after = sum(len(repo.store.get(n)) for n in repo.store.list("data/"))
    assert stored_after < stored_before - 300_000
    assert verify(repo, read_data_percent=100).ok
    restore_point(repo, new.id, tmp_path / "out")
    assert (tmp_path / "out" / src.relative_to("/") / "shared").read_bytes() == (
        src / "shared").read_bytes()


def test_reclaim_removes_packs_left_by_an_interrupted_backup(repo):
    repo.save_blob("d", os.urandom(1000), 3)
    repo.flush()  # data and index written, but no point refers to them
    assert list(repo.store.list("data/"))
    stats = reclaim(repo)
    assert stats.packs_deleted == 1 and list(repo.store.list("data/")) == []
    assert list(repo.store.list("index/")) == []


def test_reclaim_needs_the_exclusive_lock(repo):
    with RepositoryLock(repo.store, exclusive=False), pytest.raises(RepositoryLockedError):
        reclaim(repo)


def test_deleting_an_unknown_point_raises_not_found(repo):
    with pytest.raises(NotFoundError):
        repo.delete_points(["feedface"])


def test_reclaim_keeps_mostly_used_packs_whole(repo, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "big").write_bytes(os.urandom(600_000))
    (src / "small").write_bytes(os.urandom(10_000))
    old = backup_paths(repo, workload="w", host="h", paths=[src])
    (src / "small").unlink()
    backup_paths(repo, workload="w", host="h", paths=[src])
    packs = set(repo.store.list("data/"))
    repo.delete_points([old.id])
    stats = reclaim(repo)
    assert stats.packs_repacked == 0 and stats.unused_blobs_kept >= 1
    assert set(repo.store.list("data/")) <= packs
    assert verify(repo, read_data_percent=100).ok
