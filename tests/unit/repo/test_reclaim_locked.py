"""Reclaim in a store that locks objects: packs whose lock holds are neither repacked, marked nor deleted."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from bkctl.archiver import backup_paths
from bkctl.repo import KdfParams, Repository
from bkctl.repo.reclaim import reclaim
from bkctl.secrets import Secret
from bkctl.store import MemoryStore


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    return Repository.init(MemoryStore(), Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "c")


def _orphan_packs(repo: Repository, tmp_path: Path) -> set[str]:
    """Two points; the first deleted, so its own packs are unreferenced."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "gone").write_bytes(os.urandom(400_000))
    old = backup_paths(repo, workload="w", host="h", paths=[src])
    packs_of_old = set(repo.store.list("data/"))
    (src / "gone").unlink()
    (src / "new").write_bytes(os.urandom(100_000))
    backup_paths(repo, workload="w", host="h", paths=[src])
    repo.delete_points([old.id])
    return packs_of_old


def test_an_immediate_reclaim_leaves_locked_packs_and_counts_them(repo: Repository, tmp_path: Path) -> None:
    orphans = _orphan_packs(repo, tmp_path)
    stats = reclaim(repo, immediate=True, held=lambda names: names & orphans)
    assert stats.packs_deleted == 0 and stats.packs_locked == len(orphans)
    assert orphans <= set(repo.store.list("data/"))
    freed = reclaim(repo, immediate=True, held=lambda names: set())
    assert freed.packs_deleted == len(orphans) and not orphans & set(repo.store.list("data/"))


def test_a_locked_pack_is_not_marked_so_a_later_reclaim_takes_it_once_the_lock_ends(
        repo: Repository, tmp_path: Path) -> None:
    orphans = _orphan_packs(repo, tmp_path)
    first = reclaim(repo, grace=timedelta(0), held=lambda names: names & orphans)
    assert first.packs_marked == 0 and first.packs_locked == len(orphans)
    assert list(repo.store.list("marks/")) == []
    marked = reclaim(repo, grace=timedelta(0), held=lambda names: set())
    assert marked.packs_marked == len(orphans)
    deleted = reclaim(repo, grace=timedelta(0), held=lambda names: set())
    assert deleted.packs_deleted == len(orphans)


def test_a_pack_locked_after_it_was_marked_stays_when_its_mark_ripens(repo: Repository, tmp_path: Path) -> None:
    orphans = _orphan_packs(repo, tmp_path)
    reclaim(repo, grace=timedelta(0))
    stats = reclaim(repo, grace=timedelta(0), held=lambda names: names & orphans)
    assert stats.packs_deleted == 0 and orphans <= set(repo.store.list("data/"))
