"""Image workloads: a slowly changing image stores only its changed regions the second time."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bkctl.archiver import save
from bkctl.repo import KdfParams, Repository
from bkctl.repo.points import PointInfo
from bkctl.restorer import restore_stream
from bkctl.secrets import Secret
from bkctl.sources.image import ImageSource
from bkctl.store import LocalStore

SIZE = 64 << 20


def back_up(repo: Repository, source: ImageSource, workload: str) -> PointInfo:
    with source.open(workload) as items:
        return save(repo, items, workload=workload, host="h", compression=None)


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    return Repository.init(LocalStore(tmp_path / "repo"), Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "c")


def test_three_small_edits_store_a_few_chunks_not_the_whole_image(repo: Repository, tmp_path: Path):
    image = tmp_path / "vm.img"
    with image.open("wb") as handle:
        for _ in range(SIZE >> 20):
            handle.write(os.urandom(1 << 20))
    source = ImageSource(image)
    first = back_up(repo, source, "vm")
    assert first.stats["new_bytes"] == SIZE
    with image.open("r+b") as handle:
        for offset in (5 << 20, 31 << 20, 60 << 20):
            handle.seek(offset)
            handle.write(os.urandom(4096))
    second = back_up(repo, source, "vm")
    # Each edit re-stores the chunk it falls in (and at most its neighbour): <= ~2 x 4 MiB each.
    print(f"image: second backup stored {second.stats['new_bytes']} new bytes of {SIZE}")
    assert second.stats["new_bytes"] < 24 << 20
    assert second.stats["new_chunks"] <= 9
    restored = tmp_path / "restored.img"
    with restored.open("wb") as out:
        assert restore_stream(repo, second.id, out) == SIZE
    assert restored.read_bytes() == image.read_bytes()


def test_compression_off_stores_raw_sized_data(repo: Repository, tmp_path: Path):
    image = tmp_path / "zeros.img"
    image.write_bytes(bytes(8 << 20))
    off = back_up(repo, ImageSource(image), "z")
    assert off.stats["stored_bytes"] >= off.stats["new_bytes"] > 0
    assert off.paths == ["zeros.img"] and off.meta["block_device"] is False
