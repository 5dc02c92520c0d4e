"""A folder nested as deep as a path can reach backs up, verifies, lists, finds and restores.

Each tree walk recurses a few frames per level; Python's default recursion limit stopped a
backup at about 300 levels with an internal error. A path is at most PATH_MAX (4096) bytes, so
1,900 one-letter levels is close to the deepest tree any backup can meet.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli import Runner
from crafted_points import remove_deep_tree

PATH_MAX = 4096


def nest(top: Path, length: int) -> Path:
    """Folders ``d/d/d/...`` below ``top`` until the deepest path is ``length`` bytes long."""
    here = top
    while len(str(here)) + 2 < length:
        here = here / "d"
        os.mkdir(here)  # one level at a time: os.makedirs itself recurses per level
    return here


@pytest.fixture
def deep_project(project: Path) -> Iterator[Path]:
    yield project
    for top in (project / "data", project / "r"):
        if top.exists():
            remove_deep_tree(top)  # shutil.rmtree, and so pytest's own clean-up, recurses per level


def test_a_tree_nested_1900_levels_deep_backs_up_and_restores(bkctl: Runner, deep_project: Path) -> None:
    project = deep_project
    restored_into = project / "r"
    room = PATH_MAX - len(str(restored_into)) - len("/leaf.txt") - 8  # the restore prefixes its folder
    deepest = nest(project / "data", room)
    levels = len(deepest.relative_to(project / "data").parts)
    assert levels > 1900
    (deepest / "leaf.txt").write_text("at the bottom\n")

    backed = bkctl("backup", "docs")
    assert backed.returncode == 0, backed.stdout + backed.stderr
    assert bkctl("verify", "--read-data", "100").returncode == 0
    found = bkctl("find", "leaf.txt")
    assert found.returncode == 0 and found.stdout.count("/d") >= levels, found.stdout[-300:]
    listed = bkctl("ls", "docs")
    assert listed.returncode == 0 and "/leaf.txt" in listed.stdout, listed.stdout[-300:]

    restored = bkctl("restore", "docs", "--to", str(restored_into))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    copy = restored_into / str(deepest).lstrip("/") / "leaf.txt"
    assert copy.read_text() == "at the bottom\n"
