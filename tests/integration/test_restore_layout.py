"""Where restored files land, which folders get stored metadata, and includes that match nothing."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bkctl.archiver import backup_paths
from bkctl.errors import ExitCode, NotFoundError
from bkctl.restorer import restore_point

STAMP = 1_400_000_000_000_000_000


@pytest.fixture
def sticky_parent(tmp_path: Path) -> Path:
    """``parent`` looks like /tmp (1777, old mtime) and holds the backed-up ``src``."""
    parent = tmp_path / "parent"
    (parent / "src" / "inner").mkdir(parents=True)
    (parent / "src" / "inner" / "f.txt").write_text("f")
    (parent / "other.txt").write_text("not backed up")
    os.chmod(parent / "src", 0o701)
    os.utime(parent / "src", ns=(STAMP + 1, STAMP + 1))
    os.chmod(parent, 0o1777)
    os.utime(parent, ns=(STAMP, STAMP))
    return parent


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def default_folder_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


def test_folders_above_a_backed_up_root_do_not_get_its_parents_metadata(repo, tmp_path, sticky_parent):
    point = backup_paths(repo, workload="w", host="h", paths=[sticky_parent / "src"])
    out = tmp_path / "out"
    stats = restore_point(repo, point.id, out)
    parent = out / sticky_parent.relative_to("/")
    assert mode(parent) == default_folder_mode() and os.stat(parent).st_mtime_ns != STAMP
    assert mode(parent / "src") == 0o701 and os.stat(parent / "src").st_mtime_ns == STAMP + 1
    assert stats.dirs == 2  # src and inner; the folders above src are not counted as restored
    assert stats.landed == [str(parent / "src")]


def test_a_folder_that_is_itself_backed_up_keeps_its_metadata(repo, tmp_path, sticky_parent):
    point = backup_paths(repo, workload="w", host="h", paths=[sticky_parent, sticky_parent / "src"])
    out = tmp_path / "out"
    stats = restore_point(repo, point.id, out)
    parent = out / sticky_parent.relative_to("/")
    assert mode(parent) == 0o1777 and os.stat(parent).st_mtime_ns == STAMP
    assert (parent / "other.txt").read_text() == "not backed up"
    assert sorted(stats.landed) == [str(parent), str(parent / "src")]


def test_existing_folders_above_the_root_are_left_as_they_are(repo, tmp_path, sticky_parent):
    point = backup_paths(repo, workload="w", host="h", paths=[sticky_parent / "src"])
    out = tmp_path / "out"
    parent = out / sticky_parent.relative_to("/")
    parent.mkdir(parents=True)
    os.chmod(parent, 0o711)
    restore_point(repo, point.id, out)
    assert mode(parent) == 0o711


def test_a_single_file_root_lands_where_its_path_says(repo, tmp_path, sticky_parent):
    point = backup_paths(repo, workload="w", host="h", paths=[sticky_parent / "other.txt"])
    out = tmp_path / "out"
    stats = restore_point(repo, point.id, out)
    landed = out / sticky_parent.relative_to("/") / "other.txt"
    assert stats.landed == [str(landed)] and landed.read_text() == "not backed up"
    assert mode(landed.parent) == default_folder_mode()


def test_only_the_roots_the_include_patterns_reach_are_reported_as_landed(repo, tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.txt").write_text(name)
    point = backup_paths(repo, workload="w", host="h", paths=[tmp_path / "a", tmp_path / "b"])
    out = tmp_path / "out"
    stats = restore_point(repo, point.id, out, include=["**/a/x.txt"])
    assert stats.landed == [str(out / tmp_path.relative_to("/") / "a")]
    assert not (out / tmp_path.relative_to("/") / "b").exists()


def test_include_that_matches_nothing_is_not_found_and_creates_nothing(repo, tmp_path, sticky_parent):
    point = backup_paths(repo, workload="w", host="h", paths=[sticky_parent / "src"])
    out = tmp_path / "out"
    with pytest.raises(NotFoundError, match=r"matched nothing in point .*nothing was restored") as caught:
        restore_point(repo, point.id, out, include=["no-such-file", "*.nope"])
    assert caught.value.exit_code == ExitCode.NOT_FOUND
    assert "no-such-file, *.nope" in caught.value.message
    assert str(sticky_parent.relative_to("/") / "src") in caught.value.hint
    assert list(out.iterdir()) == []


def test_include_that_matches_only_existing_files_is_not_reported_as_nothing(repo, tmp_path, sticky_parent):
    point = backup_paths(repo, workload="w", host="h", paths=[sticky_parent / "src"])
    out = tmp_path / "out"
    restore_point(repo, point.id, out)
    stats = restore_point(repo, point.id, out, include=["f.txt"])
    assert stats.matched == 1 and stats.skipped_existing == 1 and stats.files == 0


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o000])
def test_restored_files_get_their_stored_modes_whatever_the_umask(repo, tmp_path, umask, monkeypatch):
    # Files whose mode the umask leaves alone are created with it (no chmod); the rest,
    # and set-id bits, which must follow the ownership change, are set afterwards.
    modes = {"plain": 0o644, "private": 0o600, "script": 0o755, "shared": 0o664, "readonly": 0o444,
             "none": 0o000, "setuid": 0o4755, "sticky": 0o1644}
    src = tmp_path / "src"
    src.mkdir()
    for name, mode in modes.items():
        (src / name).write_text(name)
        os.chmod(src / name, mode)
    point = backup_paths(repo, workload="w", host="h", paths=[src])
    previous = os.umask(umask)
    try:
        restore_point(repo, point.id, tmp_path / "out")
    finally:
        os.umask(previous)
    back = tmp_path / "out" / src.relative_to(src.anchor)
    assert {name: stat.S_IMODE(os.lstat(back / name).st_mode) for name in modes} == modes
    assert (back / "none").read_text() == "none"
