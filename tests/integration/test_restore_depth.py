"""Points nested thousands of directories deep restore (the walk is iterative), or fail naming the limit."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from crafted_points import MTIME_NS, commit_deep_point, remove_deep_tree

from bkctl.restorer import PathTooLongError, restore_point

DEPTH = 2_000  # twice Python's default recursion limit; "/d" * 2000 still fits in PATH_MAX (4096)


@pytest.fixture
def short_folder() -> Iterator[Path]:
    """A folder with a short path, so DEPTH levels fit in PATH_MAX wherever pytest keeps tmp_path."""
    folder = Path(tempfile.mkdtemp(prefix="bk", dir="/tmp" if os.path.isdir("/tmp") else None))
    assert len(str(folder)) + 2 * DEPTH + len("/out/leaf.txt") < 4096
    try:
        yield folder
    finally:
        remove_deep_tree(folder)


@pytest.fixture
def default_recursion_limit() -> Iterator[None]:
    """Python's default limit, whatever ran before in this process (``bkctl.cli.main.run``
    raises it for the CLI's sake): the restore must not need more."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def test_a_point_2000_directories_deep_restores_whole(repo, short_folder, default_recursion_limit):
    assert sys.getrecursionlimit() < DEPTH
    point = commit_deep_point(repo, DEPTH)
    out = short_folder / "out"
    stats = restore_point(repo, point.id, out)
    leaf = Path(str(out) + "/d" * DEPTH) / "leaf.txt"
    assert leaf.read_bytes() == b"deep leaf\n"
    assert stats.files == 1 and stats.dirs == DEPTH
    assert os.stat(leaf).st_mode & 0o777 == 0o640
    # Metadata reaches every level; the outermost got the last level's stamp.
    assert os.stat(out / "d").st_mtime_ns == MTIME_NS + DEPTH - 1
    assert os.stat(leaf.parent).st_mtime_ns == MTIME_NS
    assert os.stat(leaf.parent).st_mode & 0o777 == 0o750


def test_include_patterns_reach_the_bottom_of_a_deep_point(repo, short_folder):
    point = commit_deep_point(repo, DEPTH)
    out = short_folder / "out"
    stats = restore_point(repo, point.id, out, include=["**/leaf.txt"])
    assert (Path(str(out) + "/d" * DEPTH) / "leaf.txt").read_bytes() == b"deep leaf\n"
    assert stats.matched == 1


def test_a_point_deeper_than_the_file_system_allows_fails_naming_the_limit(repo, short_folder):
    point = commit_deep_point(repo, 1_500, name="ddd")  # 1,500 x 4 bytes: past PATH_MAX
    with pytest.raises(PathTooLongError) as caught:
        restore_point(repo, point.id, short_folder / "out")
    message = str(caught.value)
    assert "PATH_MAX 4096" in message and "levels below" in message
    assert "shorter path" in caught.value.hint
