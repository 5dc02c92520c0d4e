"""An unchanged folder takes its parent's tree id instead of encoding and saving its tree again."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

import bkctl.archiver.point
from bkctl.archiver import backup_paths
from bkctl.archiver.backup import _save_paths
from bkctl.archiver.point import PointHeader, SavedItems, TreeReuse, commit_point
from bkctl.repo import KdfParams, Repository
from bkctl.repo.points import PointInfo
from bkctl.repo.reachability import point_nodes, used_blobs
from bkctl.repo.repository import ConcurrentReclaimError
from bkctl.repo.tree import Node, encode_tree
from bkctl.restorer import restore_point
from bkctl.secrets import Secret
from bkctl.sources.base import PathItems
from bkctl.store import MemoryStore

HEADER = PointHeader("docs", "host", datetime(2024, 6, 1, tzinfo=UTC), {})


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    return Repository.init(MemoryStore(), Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "cache")


@pytest.fixture
def encodes(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """The names listed by each tree the archiver encodes (the real encoder still runs)."""
    calls: list[set[str]] = []

    def counting(nodes: list[Node]) -> bytes:
        calls.append({node["name"] for node in nodes})
        return encode_tree(nodes)

    monkeypatch.setattr(bkctl.archiver.point, "encode_tree", counting)
    return calls


def ours(encoded: list[set[str]]) -> list[set[str]]:
    """The encoded trees of the corpus folders (those above it change as /tmp does)."""
    return [names for names in encoded if names <= CORPUS_NAMES]


CORPUS_NAMES = {"a", "b", "deep", "x.bin", "y.txt", "z.txt", "w.bin", "top.txt"}


def corpus(root: Path) -> Path:
    data = root / "data"
    for folder in ("a", "b", "b/deep"):
        (data / folder).mkdir(parents=True)
    (data / "a" / "x.bin").write_bytes(os.urandom(300_000))
    (data / "a" / "y.txt").write_text("why\n")
    (data / "b" / "z.txt").write_text("zed\n")
    (data / "b" / "deep" / "w.bin").write_bytes(os.urandom(70_000))
    (data / "top.txt").write_text("top\n")
    return data


def subtrees(repo: Repository, point: PointInfo) -> dict[str, str]:
    """Stored folder path (below the corpus) -> its tree id."""
    return {path.split("/data/", 1)[1]: node["subtree"] for path, node in point_nodes(repo, point.root)
            if node["type"] == "dir" and "/data/" in path}


def backup(repo: Repository, data: Path) -> PointInfo:
    return backup_paths(repo, workload="docs", host="host", paths=[data])


def test_a_no_change_backup_reuses_every_tree_without_encoding_one(repo, tmp_path, encodes):
    data = corpus(tmp_path)
    first = backup(repo, data)
    assert len(ours(encodes)) == 4  # data, a, b, b/deep
    encodes.clear()
    second = backup(repo, data)
    assert ours(encodes) == []
    assert second.stats["reused_trees"] >= 4
    assert subtrees(repo, second) == subtrees(repo, first)


def test_one_changed_file_renews_its_folders_and_keeps_its_siblings_trees(repo, tmp_path, encodes):
    data = corpus(tmp_path)
    first = backup(repo, data)
    (data / "a" / "y.txt").write_text("changed, and longer\n")
    encodes.clear()
    second = backup(repo, data)
    before, after = subtrees(repo, first), subtrees(repo, second)
    assert after["a"] != before["a"]
    assert after["b"] == before["b"] and after["b/deep"] == before["b/deep"]
    assert sorted(map(sorted, ours(encodes))) == [["a", "b", "top.txt"], ["x.bin", "y.txt"]]  # data, a
    assert second.stats["reused_trees"] >= 2
    out = tmp_path / "out"
    restore_point(repo, second.id, out)
    for path in data.rglob("*"):
        if path.is_file():
            assert (out / path.relative_to("/")).read_bytes() == path.read_bytes()


def test_a_reused_tree_is_the_tree_a_fresh_encoding_gives(repo, tmp_path):
    """Cold cache (no tree map): every tree is encoded; the ids match the reusing run's."""
    data = corpus(tmp_path)
    backup(repo, data)
    reused = backup(repo, data)
    for name in repo.cache.names("trees/"):
        repo.cache.delete(name)
    encoded = backup(repo, data)
    assert encoded.stats["reused_trees"] == 0
    assert reused.stats["reused_trees"] >= 4
    assert subtrees(repo, encoded) == subtrees(repo, reused)


def test_reused_trees_are_among_the_references_the_commit_checks(repo, tmp_path):
    data = corpus(tmp_path)
    backup(repo, data)
    saved: list[SavedItems] = []

    def save() -> SavedItems:
        saved.append(_save_paths(repo, PathItems((data,)), HEADER, 3, None))
        return saved[-1]

    point = commit_point(repo, HEADER, save)
    assert point.stats["reused_trees"] > 0
    assert saved[0].references == used_blobs(repo, [point])


def test_a_reclaim_that_removes_the_reused_trees_meanwhile_is_caught(tmp_path):
    """Only folders and empty files: the reused trees are all the point references."""
    store = MemoryStore()
    ours = Repository.init(store, Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "cache-1")
    other = Repository.open(store, Secret("pw"), cache_dir=tmp_path / "cache-2")
    data = tmp_path / "data"
    (data / "a").mkdir(parents=True)
    (data / "a" / "empty").touch()
    parent = backup(ours, data)

    def save() -> SavedItems:
        saved = _save_paths(ours, PathItems((data,)), HEADER, 3, None)
        assert saved.stats["reused_trees"] > 0 and saved.stats["new_chunks"] == 0
        other.delete_points([parent.id])
        for name in list(store.list("index/")):  # a reclaim that ignored every rule
            store.delete(name)
        return saved

    with pytest.raises(ConcurrentReclaimError, match="no recovery point was written"):
        commit_point(ours, HEADER, save)
    assert ours.list_points() == []


def test_a_tree_the_index_refuses_is_encoded_and_saved_again(repo):
    nodes: list[Node] = [{"name": "f", "type": "file", "mode": 0o600, "size": 0, "mtime_ns": 0, "content": []}]
    with repo.session():
        stored = repo.save_blob("t", encode_tree(nodes), 3).blob_id
        repo.flush()
        remembered = TreeReuse({}, repo.index.usable)
        remembered.tree_id(repo, "", nodes, 3)
        refused = TreeReuse(remembered.saved, lambda blob_id: False)  # e.g. its pack is marked
        assert refused.tree_id(repo, "", nodes, 3) == stored
        accepted = TreeReuse(remembered.saved, repo.index.usable)
        assert accepted.tree_id(repo, "", nodes, 3) == stored
    assert (refused.reused, accepted.reused) == (0, 1)
