"""The shared tail of a backup: what a point references, and that a failed save commits nothing."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bkctl.archiver import backup_paths
from bkctl.archiver.backup import _save_paths, _save_stream
from bkctl.archiver.point import PointHeader, SavedItems, commit_point
from bkctl.errors import BkctlError
from bkctl.repo import KdfParams, Repository
from bkctl.repo.reachability import used_blobs
from bkctl.secrets import Secret
from bkctl.sources.base import PathItems, StreamItem
from bkctl.store import MemoryStore

HEADER = PointHeader("docs", "host", datetime(2024, 6, 1, tzinfo=UTC), {})


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    return Repository.init(MemoryStore(), Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "cache")


def test_references_name_every_tree_and_chunk_including_content_reused_from_the_parent(repo: Repository,
                                                                                      tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "kept.bin").write_bytes(bytes(range(256)) * 4096)  # 1 MiB: several chunks, reused below
    (data / "sub" / "small.txt").write_text("small\n")
    backup_paths(repo, workload="docs", host="host", paths=[data])
    (data / "sub" / "new.txt").write_text("new\n")
    saved: list[SavedItems] = []

    def save() -> SavedItems:
        saved.append(_save_paths(repo, PathItems((data,)), HEADER, 3, None))
        return saved[-1]

    point = commit_point(repo, HEADER, save)
    assert point.stats["reused_files"] == 2
    assert saved[0].references == used_blobs(repo, [point])


def test_references_of_a_stream_are_its_tree_and_its_chunks(repo: Repository) -> None:
    item = StreamItem("dump.sql", io.BytesIO(bytes(range(256)) * 8192))
    saved: list[SavedItems] = []

    def save() -> SavedItems:
        saved.append(_save_stream(repo, item, 3, None, None))
        return saved[-1]

    point = commit_point(repo, HEADER, save)
    assert len(saved[0].references) >= 2
    assert saved[0].references == used_blobs(repo, [point])


def test_a_save_that_raises_commits_no_point_and_releases_the_lock(repo: Repository) -> None:
    def save() -> SavedItems:
        raise BkctlError("the dump tool exited with status 1")

    with pytest.raises(BkctlError):
        commit_point(repo, HEADER, save)
    assert repo.list_points() == []
    assert list(repo.store.list("locks/")) == []


def test_a_backup_collects_cycles_less_often_and_puts_the_collector_back_even_when_it_fails(
        repo: Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    import bkctl.archiver.files as files

    src = tmp_path / "src"
    src.mkdir()
    (src / "a").write_text("a")
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    real = files.FilesWalker.add_root

    def spy(self: files.FilesWalker, root: Path) -> None:
        seen.append(gc.get_threshold())
        real(self, root)

    monkeypatch.setattr(files.FilesWalker, "add_root", spy)
    backup_paths(repo, workload="w", host="h", paths=[src])
    assert seen[0][0] >= 100_000 and gc.get_threshold() == before and gc.get_freeze_count() == 0

    def fail(self: files.FilesWalker, root: Path) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(files.FilesWalker, "add_root", fail)
    with pytest.raises(OSError):
        backup_paths(repo, workload="w", host="h", paths=[src])
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
