"""Trees stream out during the walk: a folder's tree is saved once its files are, and its
nodes go; roots that nest keep every folder open until the end (the later root adds to them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import bkctl.archiver.backup as backup
from bkctl.archiver import backup_paths
from bkctl.archiver.files import FilesWalker
from bkctl.repo import KdfParams, Repository
from bkctl.restorer import restore_point
from bkctl.secrets import Secret
from bkctl.store import MemoryStore


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    return Repository.init(MemoryStore(), Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "cache")


def tree_of_folders(root: Path, folders: int = 30, files: int = 6) -> dict[str, bytes]:
    written = {}
    for f in range(folders):
        for n in range(files):
            path = root / f"d{f:02d}" / ("deep" if n % 2 else "") / f"f{n}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            data = f"folder {f} file {n}\n".encode() * (1 + n)
            if f == 3 and n == 0:
                data = os.urandom(700_000)  # one large file: chunked on the walk's thread
            path.write_bytes(data)
            written[str(path.relative_to(root))] = data
    return written


def contents(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_folders_are_saved_during_the_walk_and_the_point_is_whole(repo, tmp_path, monkeypatch):
    source = tmp_path / "src"
    written = tree_of_folders(source)
    held: list[int] = []  # nodes of files the walker still holds when each folder is saved
    real = backup._save_folder

    def spying(*args, **kwargs):  # type: ignore[no-untyped-def]
        held.append(len(walkers[-1].files))
        return real(*args, **kwargs)

    walkers: list[FilesWalker] = []
    real_init = FilesWalker.__init__

    def keep(self, **kwargs):  # type: ignore[no-untyped-def]
        real_init(self, **kwargs)
        walkers.append(self)

    monkeypatch.setattr(backup, "_save_folder", spying)
    monkeypatch.setattr(FilesWalker, "__init__", keep)
    monkeypatch.setattr("bkctl.archiver.pipeline.WINDOW_JOBS_PER_WORKER", 0)  # 4 jobs in flight: saves must keep up
    point = backup_paths(repo, workload="w", host="h", paths=[source])
    assert len(held) == 60  # every folder below the root: 30 folders and their "deep" ones
    assert max(held) < 180  # never all 180 files at once: saved folders dropped theirs
    restore_point(repo, point.id, tmp_path / "out")
    assert contents(tmp_path / "out" / source.relative_to(source.anchor)) == written
    again = backup_paths(repo, workload="w", host="h", paths=[source])
    assert again.stats["reused_trees"] >= 61 and again.stats["reused_files"] == 180  # the 60 streamed, the root,
    assert again.stats["new_chunks"] == 0  # and the folders leading to it: the same trees again


def test_a_small_file_that_fails_in_a_streamed_folder_is_left_out_of_its_tree(repo, tmp_path, monkeypatch,
                                                                              unreadable):
    source = tmp_path / "src"
    tree_of_folders(source, folders=4)
    unreadable("d02/deep/f1.txt")
    point = backup_paths(repo, workload="w", host="h", paths=[source])
    assert point.partial and any("d02/deep/f1.txt" in error for error in point.errors)
    restore_point(repo, point.id, tmp_path / "out")
    back = tmp_path / "out" / source.relative_to(source.anchor)
    assert not (back / "d02/deep/f1.txt").exists() and (back / "d02/deep/f3.txt").exists()
    monkeypatch.undo()
    again = backup_paths(repo, workload="w", host="h", paths=[source])  # not in the file map: read now
    assert not again.partial and again.stats["reused_files"] == 23


def test_nested_roots_keep_every_folder_until_the_end_and_restore_whole(repo, tmp_path, monkeypatch):
    source = tmp_path / "src"
    written = tree_of_folders(source, folders=5)
    saved: list[str] = []
    monkeypatch.setattr(backup, "_save_folder", lambda *args: saved.append(args[-1]))  # must not run
    point = backup_paths(repo, workload="w", host="h", paths=[source, source / "d01", source / "d02" / "deep"])
    assert saved == []
    restore_point(repo, point.id, tmp_path / "out")
    assert contents(tmp_path / "out" / source.relative_to(source.anchor)) == written
