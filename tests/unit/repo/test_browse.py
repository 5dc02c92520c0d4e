"""Reading a point by path: lookups, listings in name order, deep points, unsafe paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from point_trees import commit_tree, file_node, folder_node

from bkctl.errors import NotFoundError, UsageError
from bkctl.repo import KdfParams, Repository
from bkctl.repo.browse import entries_below, lookup, split_path
from bkctl.secrets import Secret
from bkctl.store import MemoryStore


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    return Repository.init(MemoryStore(), Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "cache")


@pytest.fixture
def root(repo: Repository) -> str:
    with repo.session():
        etc = folder_node(repo, "etc", [file_node(repo, "hosts", [b"127.0.0.1 localhost\n"]),
                                        folder_node(repo, "ssh", [file_node(repo, "sshd_config", [b"Port 22\n"])])])
        top = [etc, file_node(repo, "zzz", [b"last"]), {"name": "link", "type": "symlink", "mode": 0o777,
                                                         "target": "etc/hosts", "size": 0}]
    return commit_tree(repo, top).root


def test_entries_come_depth_first_in_name_order(repo: Repository, root: str) -> None:
    paths = [path for path, _ in entries_below(repo, root)]
    assert paths == ["/etc", "/etc/hosts", "/etc/ssh", "/etc/ssh/sshd_config", "/link", "/zzz"]


def test_a_folder_lists_what_is_below_it_and_a_file_itself(repo: Repository, root: str) -> None:
    assert [p for p, _ in entries_below(repo, root, "/etc/ssh")] == ["/etc/ssh/sshd_config"]
    assert [p for p, _ in entries_below(repo, root, "etc/", recursive=False)] == ["/etc/hosts", "/etc/ssh"]
    assert [p for p, _ in entries_below(repo, root, "/etc/hosts")] == ["/etc/hosts"]


def test_lookup_finds_nodes_and_the_root(repo: Repository, root: str) -> None:
    assert lookup(repo, root, "//etc//ssh/sshd_config")["size"] == len(b"Port 22\n")
    assert lookup(repo, root, "/")["subtree"] == root
    assert lookup(repo, root, "/link")["target"] == "etc/hosts"


@pytest.mark.parametrize(("path", "message"), [("/etc/passwd", "no /etc/passwd"),
                                               ("/zzz/below", "/zzz is a file")])
def test_a_missing_path_is_not_found_and_named(repo: Repository, root: str, path: str, message: str) -> None:
    with pytest.raises(NotFoundError, match=message):
        list(entries_below(repo, root, path))


def test_dot_segments_are_refused_not_resolved() -> None:
    with pytest.raises(UsageError, match=r"'\.\.'"):
        split_path("/etc/../root")


def test_a_point_thousands_of_folders_deep_lists_without_recursion(repo: Repository) -> None:
    with repo.session():
        node = file_node(repo, "bottom", [b"deep"])
        for level in range(3000):
            node = folder_node(repo, f"d{level % 7}", [node])
    root = commit_tree(repo, [node]).root
    entries = list(entries_below(repo, root))
    assert len(entries) == 3001 and entries[-1][0].endswith("/bottom")
