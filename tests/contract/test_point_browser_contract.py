"""The capabilities behind ls, find, diff, dump, mount, stats and forget, for every driver
that declares them (PointBrowser, StorageUsage, DamagedPoints in bkctl/targets/base.py).

The drivers and helpers are those of the Target contract, reused unchanged; a driver that
does not declare a capability is skipped for it (the commands then refuse it with a clear
usage error).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_target_contract import WORKING, command_job, files_job

from bkctl.errors import NotFoundError, RepositoryCorruptError
from bkctl.targets.base import DamagedPoints, PointBrowser, StorageUsage, Target
from bkctl.targets.repository import RepositoryTarget


@pytest.fixture(params=sorted(WORKING))
def ready(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    driver = WORKING[request.param](tmp_path / "targets", "primary")
    driver.init()
    yield driver
    driver.close()


def browser(target: Target) -> PointBrowser:
    if not isinstance(target, PointBrowser):
        pytest.skip(f"{type(target).__name__} does not browse points")
    return target


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    folder = tmp_path / "tree"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("alpha\n" * 1000)
    (folder / "sub" / "b.bin").write_bytes(os.urandom(3 << 20))  # several chunks
    (folder / "link").symlink_to("a.txt")
    return folder


def test_entries_list_the_point_below_a_path(ready: Target, tree: Path) -> None:
    point = ready.backup(files_job(tree))
    with browser(ready).reading():
        below = {e.path: e for e in browser(ready).point_entries(point.id, str(tree))}
        level = [e.name for e in browser(ready).point_entries(point.id, str(tree), recursive=False)]
    assert sorted(below) == [f"{tree}/{name}" for name in ("a.txt", "link", "sub", "sub/b.bin")]
    assert level == ["a.txt", "link", "sub"]
    assert below[f"{tree}/link"].link_target == "a.txt" and below[f"{tree}/sub"].type == "dir"
    assert below[f"{tree}/a.txt"].size == 6000 and below[f"{tree}/a.txt"].mode == 0o644


def test_a_file_reads_back_at_any_offset(ready: Target, tree: Path) -> None:
    point = ready.backup(files_job(tree))
    original = (tree / "sub" / "b.bin").read_bytes()
    with browser(ready).reading():
        content = browser(ready).open_point_file(point.id, f"{tree}/sub/b.bin")
        assert content.size == len(original)
        for offset in (0, 1_000_003, len(original) - 10):
            assert content.read(offset, 1 << 20) == original[offset:offset + (1 << 20)]


def test_a_stream_points_item_is_a_file_named_after_it(ready: Target) -> None:
    point = ready.backup(command_job("printf 'select 1;'"))
    with browser(ready).reading():
        content = browser(ready).open_point_file(point.id, "/dump.sql")
        assert content.read(0, 100) == b"select 1;"


def test_a_missing_path_is_not_found(ready: Target, tree: Path) -> None:
    point = ready.backup(files_job(tree))
    with pytest.raises(NotFoundError), browser(ready).reading():
        browser(ready).point_entry(point.id, f"{tree}/nothing")


def test_changes_name_what_differs_between_two_points(ready: Target, tree: Path) -> None:
    old = ready.backup(files_job(tree))
    (tree / "a.txt").write_text("beta\n")
    (tree / "new.txt").write_text("new")
    new = ready.backup(files_job(tree))
    with browser(ready).reading():
        found = {(c.kind, c.path) for c in browser(ready).point_changes(old.id, new.id)}
    assert ("modified", f"{tree}/a.txt") in found and ("added", f"{tree}/new.txt") in found
    assert not any(path.startswith(f"{tree}/sub") for _, path in found)


def test_storage_figures_follow_the_points(ready: Target, tree: Path) -> None:
    if not isinstance(ready, StorageUsage):
        pytest.skip("no storage figures")
    empty = ready.storage_figures()
    ready.backup(files_job(tree))
    figures = ready.storage_figures()
    assert figures.data_bytes == 6000 + (3 << 20) and figures.pack_bytes >= figures.data_stored_bytes
    assert figures.stored_bytes > empty.stored_bytes and figures.unreferenced_bytes == 0


def test_a_damaged_point_document_can_be_removed_by_id(ready: Target, tree: Path, tmp_path: Path) -> None:
    if not isinstance(ready, DamagedPoints):
        pytest.skip("no damaged point removal")
    point = ready.backup(files_job(tree))
    if not isinstance(ready, RepositoryTarget):
        pytest.skip("damaging a document needs the repository's store")
    store = ready.store
    raw = bytearray(store.get(f"points/{point.id}"))
    raw[-1] ^= 1
    store.put(f"points/{point.id}", bytes(raw))
    ready.close()  # and drop the cached copy: a machine without one sees only the damaged document
    for cached in (tmp_path / "targets" / "cache").rglob(point.id):
        cached.unlink()
    assert ready.damaged_point_ids() == [point.id]
    with pytest.raises(RepositoryCorruptError):
        ready.delete_points([point.id])
    assert ready.remove_damaged_points([point.id, "f" * 32]) == [point.id]
    assert ready.damaged_point_ids() == [] and ready.points() == []
