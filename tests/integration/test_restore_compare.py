"""The files check of a drill: a restored folder compared with the point's own tree."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bkctl.archiver import backup_paths
from bkctl.repo import KdfParams, Repository
from bkctl.restorer import restore_point
from bkctl.restorer.compare import compare_restored
from bkctl.secrets import Secret
from bkctl.store import LocalStore


@pytest.fixture
def restored(tmp_path: Path) -> tuple[Repository, str, Path, Path]:
    repo = Repository.init(LocalStore(tmp_path / "repo"), Secret("pw"), kdf=KdfParams.fast(), cache_dir=None)
    source = tmp_path / "src"
    (source / "deep").mkdir(parents=True)
    (source / "small.txt").write_text("hello\n")
    (source / "deep" / "big.bin").write_bytes(os.urandom(3 << 20))  # several chunks
    (source / "link").symlink_to("small.txt")
    point = backup_paths(repo, workload="w", host="h", paths=[source])
    out = tmp_path / "out"
    restore_point(repo, point.id, out)
    return repo, point.id, out, out / str(source).lstrip("/")


def test_a_faithful_restore_compares_clean_chunk_by_chunk(restored) -> None:
    repo, point, out, _ = restored
    comparison = compare_restored(repo, point, out)
    assert comparison.ok, comparison.differences
    assert comparison.files == 2 and comparison.bytes == (3 << 20) + 6


def test_one_changed_byte_a_missing_file_and_a_moved_link_are_each_named(restored) -> None:
    repo, point, out, root = restored
    with open(root / "deep" / "big.bin", "r+b") as handle:
        handle.seek(2 << 20)
        byte = handle.read(1)
        handle.seek(2 << 20)
        handle.write(bytes([byte[0] ^ 1]))
    (root / "small.txt").unlink()
    (root / "link").unlink()
    (root / "link").symlink_to("elsewhere")
    differences = compare_restored(repo, point, out).differences
    assert any(d.endswith("deep/big.bin: content differs from the point") for d in differences)
    assert any(d.endswith("small.txt: missing") for d in differences)
    assert any(d.endswith("link: symlink points elsewhere") for d in differences)
