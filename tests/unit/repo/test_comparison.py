"""Two points compared: each kind of change, unchanged folders skipped whole, sorted output."""

from __future__ import annotations

from pathlib import Path

import pytest
from point_trees import commit_tree, file_node, folder_node

from bkctl.repo import KdfParams, Repository
from bkctl.repo.comparison import changes
from bkctl.repo.tree import Node
from bkctl.secrets import Secret
from bkctl.store import MemoryStore


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    return Repository.init(MemoryStore(), Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "cache")


def point(repo: Repository, nodes: list[Node]) -> str:
    return commit_tree(repo, nodes).root


def test_every_kind_of_change_is_named_once_in_path_order(repo: Repository) -> None:
    with repo.session():
        old = [folder_node(repo, "a", [file_node(repo, "same", [b"1"]), file_node(repo, "edit", [b"old"]),
                                       file_node(repo, "chmod", [b"x"], mode=0o600),
                                       folder_node(repo, "gone", [file_node(repo, "inner", [b"i"])])]),
               file_node(repo, "becomes-dir", [b"f"])]
        new = [folder_node(repo, "a", [file_node(repo, "same", [b"1"]), file_node(repo, "edit", [b"new!"]),
                                       file_node(repo, "chmod", [b"x"], mode=0o644),
                                       file_node(repo, "added", [b"hello"])]),
               folder_node(repo, "becomes-dir", [file_node(repo, "child", [b"c"])])]
    found = [(c.kind, c.path) for c in changes(repo, point(repo, old), point(repo, new))]
    assert found == [("added", "/a/added"), ("metadata", "/a/chmod"), ("modified", "/a/edit"),
                     ("removed", "/a/gone"), ("removed", "/a/gone/inner"), ("type", "/becomes-dir"),
                     ("added", "/becomes-dir/child")]


def test_identical_points_have_no_changes(repo: Repository) -> None:
    with repo.session():
        nodes = [folder_node(repo, "a", [file_node(repo, "f", [b"1"])])]
    assert list(changes(repo, point(repo, nodes), point(repo, nodes))) == []


class CountingLoader:
    """Counts the trees a comparison reads."""

    def __init__(self, repo: Repository) -> None:
        self.repo, self.loaded = repo, []

    def load_tree(self, tree_id: str) -> list[Node]:
        self.loaded.append(tree_id)
        return self.repo.load_tree(tree_id)


def test_an_unchanged_folder_is_not_read(repo: Repository) -> None:
    with repo.session():
        quiet = folder_node(repo, "quiet", [file_node(repo, f"f{i}", [bytes([i])]) for i in range(5)])
        old = [quiet, file_node(repo, "busy", [b"1"])]
        new = [quiet, file_node(repo, "busy", [b"2"])]
    loader = CountingLoader(repo)
    assert [c.path for c in changes(loader, point(repo, old), point(repo, new))] == ["/busy"]
    assert quiet["subtree"] not in loader.loaded
