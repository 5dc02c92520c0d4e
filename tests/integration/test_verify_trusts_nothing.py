"""Damage the warm local cache would hide: verify must find it in the store, and name it.

Issue 9, defects 2-4: with a warm cache, flipped bytes in point documents and index
objects passed verify; pack headers were never checked; a flipped config silently
changed the repository id. Each test flips bytes at many positions, one at a time.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from bkctl.archiver import backup_paths
from bkctl.errors import BkctlError
from bkctl.repo import KdfParams, Repository
from bkctl.repo.verify import verify
from bkctl.restorer import restore_point
from bkctl.secrets import Secret
from bkctl.store import LocalStore


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    repository = Repository.init(LocalStore(tmp_path / "repo"), Secret("pw"), kdf=KdfParams.fast(),
                                 cache_dir=tmp_path / "cache")
    source = tmp_path / "src"
    source.mkdir()
    (source / "one.bin").write_bytes(os.urandom(200_000))
    backup_paths(repository, workload="w", host="h", paths=[source])
    (source / "two.txt").write_text("two")
    backup_paths(repository, workload="w", host="h", paths=[source])
    assert verify(repository, read_data_percent=100).ok
    return repository


def flipped(store: LocalStore, name: str, position: int):  # type: ignore[no-untyped-def]
    """Context: the object with one bit flipped at ``position``, restored afterwards."""

    class Flip:
        def __enter__(self) -> None:
            self.original = store.get(name)
            data = bytearray(self.original)
            data[position] ^= 0x01
            store.put(name, bytes(data))

        def __exit__(self, *exc: object) -> None:
            store.put(name, self.original)

    return Flip()


def positions(length: int, count: int = 40) -> list[int]:
    step = max(1, length // count)
    return sorted(set(range(0, length, step)) | {length - 1})


def test_every_flip_in_a_point_document_is_named_with_a_warm_cache(repo):
    first, second = repo.list_points()
    name = f"points/{first.id}"
    for position in positions(len(repo.store.get(name))):
        with flipped(repo.store, name, position):
            assert len(repo.list_points()) == 2  # the warm cache still serves the good copy
            report = verify(repo, read_data_percent=100)
            assert not report.ok and name in report.damaged_objects, position
            assert report.damaged_points == [first.id], position  # only that point
    assert verify(repo, read_data_percent=100).ok


def test_every_flip_in_an_index_object_is_named_with_a_warm_cache(repo):
    for name in repo.store.list("index/"):
        for position in positions(len(repo.store.get(name)), 25):
            with flipped(repo.store, name, position):
                report = verify(repo, read_data_percent=100)
                assert not report.ok and name in report.damaged_objects, (name, position)


def test_every_flip_in_a_pack_header_is_named(repo):
    pack = next(iter(repo.store.list("data/")))
    data = repo.store.get(pack)
    (length,) = struct.unpack("<I", data[-4:])
    header_start = len(data) - 4 - length
    for position in positions(length + 4, 60):
        with flipped(repo.store, pack, header_start + position):
            report = verify(repo, read_data_percent=100)
            assert not report.ok and pack in report.damaged_objects, position


def test_every_flip_in_the_config_is_refused_at_open(repo, tmp_path):
    raw = repo.store.get("config")
    for position in range(len(raw)):
        with flipped(repo.store, "config", position), pytest.raises(BkctlError):
            Repository.open(repo.store, Secret("pw"), cache_dir=tmp_path / "cache")
    assert Repository.open(repo.store, Secret("pw"), cache_dir=tmp_path / "cache").id == repo.id


def test_a_format_1_config_is_upgraded_and_authenticated(tmp_path):
    import json

    from legacy import legacy_repository

    store = LocalStore(tmp_path / "old")
    repository_id = legacy_repository(store, Secret("pw"), version=1)
    assert "mac" not in json.loads(store.get("config"))
    reopened = Repository.open(store, Secret("pw"), cache_dir=tmp_path / "cache")
    upgraded = json.loads(store.get("config"))
    assert reopened.id == repository_id and upgraded["version"] == 2 and "mac" in upgraded
    source = tmp_path / "src"
    source.mkdir()
    (source / "f").write_text("x")
    backup_paths(reopened, workload="w", host="h", paths=[source])
    assert verify(reopened).ok


def test_a_damaged_point_document_breaks_only_that_point(repo, tmp_path):
    first, second = repo.list_points()
    raw = bytearray(repo.store.get(f"points/{first.id}"))
    raw[len(raw) // 2] ^= 0x01
    repo.store.put(f"points/{first.id}", bytes(raw))
    cold = Repository.open(repo.store, Secret("pw"), cache_dir=tmp_path / "cold-cache")
    assert [p.id for p in cold.list_points()] == [second.id]
    assert cold.damaged_points() == [first.id]
    restore_point(cold, second.id, tmp_path / "out")
    with pytest.raises(BkctlError, match="damaged"):
        restore_point(cold, first.id, tmp_path / "out-first")
    source = tmp_path / "src"
    third = backup_paths(cold, workload="w", host="h", paths=[source])
    assert third.parent == second.id
    restore_point(cold, third.id, tmp_path / "out-third")
    assert (tmp_path / "out-third" / source.relative_to("/") / "two.txt").read_text() == "two"
