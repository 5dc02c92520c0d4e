"""The iterative tree walk: folders close after their children, listings that fail prune, patterns select."""

from __future__ import annotations

from pathlib import Path

import pytest

from bkctl.errors import BkctlError
from bkctl.patterns import compile_patterns
from bkctl.repo.tree import Node
from bkctl.restorer.walk import Frame, walk


def folder(name: str, subtree: str = "") -> Node:
    return {"name": name, "type": "dir", "mode": 0o755, "subtree": subtree}


def file(name: str) -> Node:
    return {"name": name, "type": "file", "mode": 0o644}


TREES = {
    "root": [folder("a", "tree-a"), file("top.txt")],
    "tree-a": [folder("b", "tree-b"), folder("empty"), file("x.txt")],
    "tree-b": [file("y.txt")],
}


class Recorder:
    """A visitor that restores nothing but writes down what the walk asked of it."""

    def __init__(self, target: Path, include: list[str] | None = None, unreadable: str = "") -> None:
        self.target = target
        self.spec = compile_patterns(include)
        self.unreadable = unreadable
        self.entries: list[str] = []
        self.closed_folders: list[str] = []
        self.matches = 0

    def load(self, tree_id: str, path: str, stored: str) -> list[Node] | None:
        return None if tree_id == self.unreadable else TREES[tree_id]

    def matched(self) -> None:
        self.matches += 1

    def entry(self, node: Node, path: str, stored: str) -> int:
        self.entries.append(stored)
        return 1

    def closed(self, frame: Frame) -> int:
        self.closed_folders.append(frame.stored)
        return frame.restored + (frame.node is not None)


def test_every_entry_is_visited_and_folders_close_after_their_children(tmp_path):
    recorder = Recorder(tmp_path)
    walk(recorder, "root")
    assert recorder.entries == ["a/b/y.txt", "a/x.txt", "top.txt"]
    assert recorder.closed_folders == ["a/b", "a/empty", "a", ""]
    assert (tmp_path / "a" / "b").is_dir() and (tmp_path / "a" / "empty").is_dir()


def test_an_unreadable_listing_removes_the_folder_the_walk_created_for_it(tmp_path):
    recorder = Recorder(tmp_path, unreadable="tree-b")
    walk(recorder, "root")
    assert recorder.entries == ["a/x.txt", "top.txt"]
    assert not (tmp_path / "a" / "b").exists() and (tmp_path / "a").is_dir()
    assert "a/b" not in recorder.closed_folders


def test_an_unreadable_listing_leaves_a_folder_that_was_already_there(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    walk(Recorder(tmp_path, unreadable="tree-b"), "root")
    assert (tmp_path / "a" / "b").is_dir()


def test_a_folder_pattern_selects_everything_below_it_once(tmp_path):
    recorder = Recorder(tmp_path, include=["a/b/"])
    walk(recorder, "root")
    assert recorder.entries == ["a/b/y.txt"] and recorder.matches == 1


def test_a_file_pattern_is_matched_at_any_depth(tmp_path):
    recorder = Recorder(tmp_path, include=["*.txt", "!top.txt"])
    walk(recorder, "root")
    assert recorder.entries == ["a/b/y.txt", "a/x.txt"] and recorder.matches == 2


def test_a_symlink_where_a_folder_goes_is_refused(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "a").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(BkctlError, match="refusing to restore through the symlink"):
        walk(Recorder(tmp_path), "root")
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_a_file_where_a_folder_goes_is_named(tmp_path):
    (tmp_path / "a").write_text("in the way")
    with pytest.raises(BkctlError, match=r"cannot restore the folder .*/a: something else exists there"):
        walk(Recorder(tmp_path), "root")
