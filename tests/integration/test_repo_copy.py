"""Copying points between two repositories with different keys: same point, same bytes."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest

from bkctl.archiver import backup_paths, backup_stream
from bkctl.repo import KdfParams, Repository
from bkctl.repo.copy import copy_points
from bkctl.repo.copymap import COMPACT_AT
from bkctl.repo.reclaim import reclaim
from bkctl.repo.verify import verify
from bkctl.restorer import restore_point, restore_stream
from bkctl.secrets import Secret
from bkctl.store import LocalStore


def make_repo(tmp_path: Path, name: str, passphrase: str) -> Repository:
    return Repository.init(LocalStore(tmp_path / name), Secret(passphrase), kdf=KdfParams.fast(),
                           cache_dir=tmp_path / f"cache-{name}")


@pytest.fixture
def source(tmp_path: Path) -> Repository:
    return make_repo(tmp_path, "a", "first passphrase")


@pytest.fixture
def replica(tmp_path: Path) -> Repository:
    return make_repo(tmp_path, "b", "another passphrase")


def build_tree(src: Path) -> None:
    (src / "deep" / "er").mkdir(parents=True)
    (src / "deep" / "er" / "big.bin").write_bytes(os.urandom(3 << 20))
    (src / "small.txt").write_bytes(b"hello replica\n")
    os.symlink("small.txt", src / "link")


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.is_symlink()}


def test_a_copied_point_restores_byte_identical_from_the_replica(source, replica, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    build_tree(src)
    point = backup_paths(source, workload="w", host="h", paths=[src])
    stats = copy_points(source, replica, [point.id])
    assert stats.points_copied == 1 and stats.blobs_new >= 3
    [copied] = replica.list_points()
    assert (copied.id, copied.time, copied.host, copied.workload) == (point.id, point.time, "h", "w")
    assert copied.root != point.root  # ids are keyed per repository
    out = tmp_path / "out"
    restore_point(replica, point.id, out)
    back = out / src.relative_to("/")
    assert files_of(back) == files_of(src)
    assert os.readlink(back / "link") == "small.txt"
    assert verify(replica, read_data_percent=100).ok


def test_copying_again_adds_nothing_to_the_replica(source, replica, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    build_tree(src)
    point = backup_paths(source, workload="w", host="h", paths=[src])
    copy_points(source, replica, [point.id])
    objects = sorted(replica.store.list(""))
    again = copy_points(source, replica, [point.id])
    assert (again.points_copied, again.points_present, again.blobs_new) == (0, 1, 0)
    assert sorted(replica.store.list("")) == objects


def test_shared_chunks_are_stored_once_in_the_replica(source, replica, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    build_tree(src)
    first = backup_paths(source, workload="w", host="h", paths=[src])
    (src / "small.txt").write_bytes(b"changed\n")
    second = backup_paths(source, workload="w", host="h", paths=[src])
    copy_points(source, replica, [first.id])
    stats = copy_points(source, replica, [second.id])
    # Only the changed file's chunk and the trees on its path are new; big.bin is shared.
    assert stats.points_copied == 1
    assert stats.bytes_stored < 64 << 10
    assert stats.blobs_present >= 1
    assert {p.id for p in replica.list_points()} == {first.id, second.id}


def test_a_fresh_replica_copy_of_a_deduplicated_history_is_no_larger_than_the_source(
    source, replica, tmp_path
):
    """Copying two points in one call also shares their chunks (the id memo and the index)."""
    src = tmp_path / "src"
    src.mkdir()
    build_tree(src)
    first = backup_paths(source, workload="w", host="h", paths=[src])
    (src / "new.txt").write_bytes(b"new\n")
    second = backup_paths(source, workload="w", host="h", paths=[src])
    stats = copy_points(source, replica, [first.id, second.id])
    assert stats.points_copied == 2
    assert len(replica.index) == len(source.index)


def test_a_stream_point_copies_and_restores(source, replica):
    data = os.urandom(2 << 20)
    point = backup_stream(source, workload="db", host="h", name="dump.sql", stream=io.BytesIO(data))
    copy_points(source, replica, [point.id])
    out = io.BytesIO()
    assert restore_stream(replica, point.id, out) == len(data)
    assert out.getvalue() == data


@pytest.fixture
def copied_once(source, replica, tmp_path):
    """A tree backed up once into ``source`` and that point copied into ``replica``."""
    src = tmp_path / "src"
    src.mkdir()
    build_tree(src)
    first = backup_paths(source, workload="w", host="h", paths=[src])
    assert copy_points(source, replica, [first.id]).chunks_read >= 1
    return src, first


def test_a_copy_of_an_unchanged_point_reads_no_chunk_and_sends_none(source, replica, copied_once, tmp_path):
    src, _ = copied_once
    second = backup_paths(source, workload="w", host="h", paths=[src])
    stats = copy_points(source, replica, [second.id])
    # Only trees are new (the folders above src changed their times); no chunk was read or sent.
    assert (stats.points_copied, stats.chunks_read) == (1, 0) and stats.bytes_stored < 4096
    out = tmp_path / "out"
    restore_point(replica, second.id, out)
    assert files_of(out / src.relative_to("/")) == files_of(src)


def test_only_changed_chunks_are_read_after_a_change(source, replica, copied_once):
    src, _ = copied_once
    (src / "new.txt").write_bytes(b"one new file\n")
    second = backup_paths(source, workload="w", host="h", paths=[src])
    assert copy_points(source, replica, [second.id]).chunks_read == 1


def test_a_chunk_the_replica_reclaimed_is_read_and_stored_again(source, replica, copied_once, tmp_path):
    """The map is a hint checked against the replica's index, never trusted on its own."""
    src, first = copied_once
    replica.delete_points([first.id])
    reclaim(replica, grace=timedelta(0), immediate=True)
    replica.reload_index()
    again = copy_points(source, replica, [first.id])
    assert again.chunks_read >= 1 and again.blobs_new >= 3
    out = tmp_path / "out"
    restore_point(replica, first.id, out)
    assert files_of(out / src.relative_to("/")) == files_of(src)
    assert verify(replica, read_data_percent=100).ok


def test_a_damaged_copy_map_costs_a_read_not_a_wrong_chunk(source, replica, copied_once):
    src, _ = copied_once
    [name] = list(replica.store.list(f"copymaps/{source.id}/"))
    raw = bytearray(replica.store.get(name))
    raw[-1] ^= 1
    replica.store.put(name, bytes(raw))
    replica.cache.delete(name)
    second = backup_paths(source, workload="w", host="h", paths=[src])
    stats = copy_points(source, replica, [second.id])
    assert stats.chunks_read >= 1 and stats.bytes_stored < 4096  # read again, deduplicated by the replica


def test_copy_maps_are_compacted_without_losing_a_pair(source, replica, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    points = []
    for n in range(COMPACT_AT + 2):
        (src / f"file-{n}.bin").write_bytes(os.urandom(4096))
        points.append(backup_paths(source, workload="w", host="h", paths=[src]))
        copy_points(source, replica, [points[-1].id])
    assert len(list(replica.store.list(f"copymaps/{source.id}/"))) <= COMPACT_AT
    again = backup_paths(source, workload="w", host="h", paths=[src])
    assert copy_points(source, replica, [again.id]).chunks_read == 0
