"""The parent's file map in the cache: compact entries, and entries cached by earlier versions."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import zstandard

from bkctl.archiver import backup_paths
from bkctl.archiver.parent import load_file_map
from bkctl.repo import KdfParams, Repository
from bkctl.secrets import Secret
from bkctl.store import MemoryStore


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    return Repository.init(MemoryStore(), Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "cache")


def corpus(root: Path) -> Path:
    data = root / "data"
    (data / "sub").mkdir(parents=True)
    (data / "big.bin").write_bytes(os.urandom(400_000))
    (data / "sub" / "small.txt").write_text("small\n")
    return data


def test_the_map_holds_one_compact_entry_per_file(repo, tmp_path):
    data = corpus(tmp_path)
    point = backup_paths(repo, workload="w", host="h", paths=[data])
    files = load_file_map(repo, point)
    entry = files[f"{data.as_posix().lstrip('/')}/big.bin"]
    st = (data / "big.bin").stat()
    assert entry[:4] == [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
    assert len(entry[4]) >= 1 and entry[5] is None


def test_a_map_cached_as_objects_by_an_earlier_version_still_spares_reading(repo, tmp_path):
    data = corpus(tmp_path)
    first = backup_paths(repo, workload="w", host="h", paths=[data])
    old = {path: {"type": "file", "size": e[0], "mtime_ns": e[1], "ctime_ns": e[2], "inode": e[3], "content": e[4]}
           for path, e in load_file_map(repo, first).items()}
    body = zstandard.ZstdCompressor().compress(json.dumps(old).encode())
    repo.cache.put(f"files/{first.id}", repo.key.seal(body, b"bkctl-file-map"))
    second = backup_paths(repo, workload="w", host="h", paths=[data])
    assert second.stats["reused_files"] == 2 and second.stats["bytes_read"] == 0


def test_without_the_cache_the_map_is_rebuilt_from_the_parent_trees(repo, tmp_path):
    data = corpus(tmp_path)
    first = backup_paths(repo, workload="w", host="h", paths=[data])
    cached = load_file_map(repo, first)
    repo.cache.delete(f"files/{first.id}")
    assert load_file_map(repo, first) == cached
    second = backup_paths(repo, workload="w", host="h", paths=[data])
    assert second.stats["reused_files"] == 2 and second.stats["bytes_read"] == 0


def test_times_beyond_64_bits_come_back_as_the_same_integers(repo, tmp_path):
    # A file dated after 2554 (tmpfs and btrfs allow it) has a 20-digit mtime_ns: read
    # back as a float it would never equal the file's own, and be read on every backup.
    from bkctl.archiver.parent import save_file_map

    far = 32503680000000000000  # the year 3000
    save_file_map(repo, "p1", {"data/future.txt": [5, far, -(2**64), 2**64 - 1, ["ab" * 32], None]})
    files = load_file_map(repo, type("P", (), {"id": "p1", "root": "x"})())  # type: ignore[arg-type]
    assert files["data/future.txt"][:4] == [5, far, -(2**64), 2**64 - 1]
    assert all(isinstance(value, int) for value in files["data/future.txt"][:4])
    save_file_map(repo, "p3", {"data/undecodable-\udcff": [1, far, 3, 4, [], None]})
    files = load_file_map(repo, type("P", (), {"id": "p3", "root": "x"})())  # type: ignore[arg-type]
    assert files["data/undecodable-\udcff"][:2] == [1, far]
    save_file_map(repo, "p2", {"data/plain.txt": [5, 6, 7, 8, ["cd" * 32], None]})
    assert load_file_map(repo, type("P", (), {"id": "p2", "root": "x"})())["data/plain.txt"][1] == 6  # type: ignore[arg-type]
