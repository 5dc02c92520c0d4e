"""Blobs of one pack are read in a few coalesced ranged reads, and damage is returned per blob."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bkctl.errors import RepositoryCorruptError
from bkctl.repo import KdfParams, Repository
from bkctl.repo.pack import IndexEntry
from bkctl.repo.pack_reader import GAP_BYTES, RUN_BYTES, runs
from bkctl.secrets import Secret
from bkctl.store import MemoryStore


class CountingStore(MemoryStore):
    """A memory store that counts ranged reads: how many requests a vault would see."""

    def __init__(self) -> None:
        super().__init__()
        self.ranged_reads = 0

    def get_range(self, name: str, offset: int, length: int) -> bytes:
        self.ranged_reads += 1
        return super().get_range(name, offset, length)


def entry(offset: int, length: int) -> tuple[bytes, IndexEntry]:
    return offset.to_bytes(32, "big"), IndexEntry("data/aa/pack", offset, length, length, "d")


def offsets(grouped: list[list[tuple[bytes, IndexEntry]]]) -> list[list[int]]:
    return [[e.offset for _, e in run] for run in grouped]


def test_neighbours_share_a_read_in_offset_order() -> None:
    blobs = [entry(300, 100), entry(0, 100), entry(100, 200)]
    assert offsets(runs(blobs)) == [[0, 100, 300]]


def test_a_gap_wider_than_the_limit_starts_a_new_read() -> None:
    blobs = [entry(0, 100), entry(100 + GAP_BYTES, 10), entry(110 + 2 * GAP_BYTES + 1, 10)]
    assert offsets(runs(blobs)) == [[0, 100 + GAP_BYTES], [110 + 2 * GAP_BYTES + 1]]


def test_a_read_stops_growing_at_the_run_limit() -> None:
    size = RUN_BYTES // 3
    blobs = [entry(n * size, size) for n in range(7)]
    grouped = runs(blobs)
    assert offsets(grouped) == [[0, size, 2 * size], [3 * size, 4 * size, 5 * size], [6 * size]]
    assert all(run[-1][1].offset + size - run[0][1].offset <= RUN_BYTES for run in grouped)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    repository = Repository.init(CountingStore(), Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path)
    yield repository
    repository.close()


def one_pack(repo: Repository, count: int) -> tuple[str, list[tuple[bytes, IndexEntry]], dict[bytes, bytes]]:
    data = [os.urandom(5000 + n) for n in range(count)]
    with repo.session():
        ids = [repo.save_blob("d", raw, 3).blob_id for raw in data]
        repo.flush()
    blobs = [(blob_id, repo.index.get(blob_id)) for blob_id in ids]
    return blobs[0][1].pack, blobs, dict(zip(ids, data, strict=True))


def test_every_blob_of_a_pack_comes_back_from_one_ranged_read(repo: Repository) -> None:
    pack, blobs, data = one_pack(repo, 20)
    store = repo.store
    assert isinstance(store, CountingStore)
    store.ranged_reads = 0
    read = dict(repo.read_pack(pack, blobs[::-1]))
    assert read == data and store.ranged_reads == 1


def test_a_damaged_blob_is_returned_as_damage_and_its_neighbours_still_read(repo: Repository) -> None:
    pack, blobs, data = one_pack(repo, 5)
    damaged_id, damaged = blobs[2]
    raw = bytearray(repo.store.get(pack))
    raw[damaged.offset + damaged.length // 2] ^= 1
    repo.store.put(pack, bytes(raw))
    read = dict(repo.read_pack(pack, blobs))
    error = read.pop(damaged_id)
    assert isinstance(error, RepositoryCorruptError) and "failed authentication" in error.message
    assert read == {blob: raw for blob, raw in data.items() if blob != damaged_id}


def test_a_missing_pack_is_damage_to_each_of_its_blobs(repo: Repository) -> None:
    pack, blobs, _ = one_pack(repo, 3)
    repo.store.delete(pack)
    read = list(repo.read_pack(pack, blobs))
    assert len(read) == 3
    assert all(isinstance(r, RepositoryCorruptError) and "is missing" in r.message for _, r in read)
