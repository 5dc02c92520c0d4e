"""Storage figures: stored is what the store holds, data counted once, waiting data named."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from point_trees import commit_tree, file_node

from bkctl.repo import KdfParams, Repository
from bkctl.repo.reclaim import reclaim
from bkctl.repo.usage import storage_usage
from bkctl.secrets import Secret
from bkctl.store import MemoryStore


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    return Repository.init(MemoryStore(), Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "cache")


def test_stored_bytes_are_the_sizes_of_every_object(repo: Repository) -> None:
    with repo.session():
        node = file_node(repo, "f", [os.urandom(5000)])
    commit_tree(repo, [node])
    with repo.lock("shared"):  # a running process's lock is not stored data
        usage = storage_usage(repo, repo.list_points())
    names = list(repo.store.list(""))
    assert usage.stored_bytes == sum(repo.store.size(name) for name in names) and usage.objects == len(names)
    packs = [name for name in names if name.startswith("data/")]
    assert usage.pack_bytes == sum(repo.store.size(name) for name in packs) and usage.packs == len(packs)


def test_shared_data_counts_once_and_compressible_data_shows_its_stored_size(repo: Repository) -> None:
    shared, text = os.urandom(4000), b"a" * 100_000
    with repo.session():
        first = file_node(repo, "one", [shared, text])
        second = file_node(repo, "two", [shared])
    commit_tree(repo, [first])
    commit_tree(repo, [second])
    usage = storage_usage(repo, repo.list_points())
    assert usage.data_bytes == len(shared) + len(text)
    assert len(shared) < usage.data_stored_bytes < len(shared) + 2000  # the text compresses to almost nothing
    assert usage.unreferenced_bytes == 0 and usage.marked_bytes == 0


def test_a_deleted_points_data_is_unreferenced_then_marked(repo: Repository) -> None:
    with repo.session():
        kept, dropped = file_node(repo, "kept", [os.urandom(3000)]), file_node(repo, "dropped", [os.urandom(7000)])
    commit_tree(repo, [kept])
    gone = commit_tree(repo, [dropped])
    repo.delete_points([gone.id])
    waiting = storage_usage(repo, repo.list_points())
    assert 7000 < waiting.unreferenced_bytes < 7000 + 1000 and waiting.data_bytes == 3000
    reclaim(repo, grace=timedelta(hours=1))
    marked = storage_usage(repo, repo.list_points())
    assert marked.marked_bytes > 0 and marked.unreferenced_bytes < waiting.unreferenced_bytes
