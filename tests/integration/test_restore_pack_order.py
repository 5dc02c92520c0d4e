"""Restore fills files in pack order: chunks spread over packs, repeated, damaged or cut off by a full disk."""

from __future__ import annotations

import contextlib
import os
import resource
import secrets
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from crafted_points import MTIME_NS, flip_blob, pack_of, save_tree
from reopen import fresh

from bkctl.errors import ExitCode
from bkctl.repo import Repository
from bkctl.repo.points import PointInfo
from bkctl.restorer import RestoreDamagedError, restore_point
from bkctl.restorer import content as restore_content
from bkctl.restorer.compare import compare_restored


def store_in_packs(repo: Repository, packs: list[list[bytes]]) -> list[list[str]]:
    """Each group of chunks in a pack of its own (a flush closes the open pack); returns their ids."""
    ids = []
    for chunks in packs:
        ids.append([repo.save_blob("d", data, 3).blob_id.hex() for data in chunks])
        repo.flush()
    return ids


def commit_files(repo: Repository, files: dict[str, list[str]], chunks: dict[str, bytes]) -> PointInfo:
    """A point whose folder ``data`` holds ``files``, each the listed chunks in that order."""
    nodes = [{"name": name, "type": "file", "mode": 0o640, "mtime_ns": MTIME_NS,
              "size": sum(len(chunks[c]) for c in content), "content": content}
             for name, content in sorted(files.items())]
    root = save_tree(repo, [{"name": "data", "type": "dir", "mode": 0o750, "mtime_ns": MTIME_NS,
                             "subtree": save_tree(repo, nodes)}])
    repo.flush()
    point = PointInfo(id=secrets.token_hex(16), workload="w", host="h", time=datetime.now(UTC), partial=False,
                      stats={}, meta={}, kind="files", root=root, paths=["/data"])
    repo.commit_point(point)
    return point


def three_packs(repo: Repository) -> tuple[dict[str, bytes], list[list[str]]]:
    """Three packs of three chunks each, some compressible, chunk ids by pack."""
    data = [[os.urandom(70_000 + 1000 * n) for n in range(2)] + [bytes([pack]) * 90_000] for pack in range(3)]
    with repo.session():
        ids = store_in_packs(repo, data)
    chunks = {blob: raw for pack_ids, pack_data in zip(ids, data, strict=True)
              for blob, raw in zip(pack_ids, pack_data, strict=True)}
    return chunks, ids


def expected_bytes(files: dict[str, list[str]], chunks: dict[str, bytes]) -> dict[str, bytes]:
    return {name: b"".join(chunks[c] for c in content) for name, content in files.items()}


def restored(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (out / "data").iterdir()}


def test_a_file_whose_chunks_are_spread_over_packs_and_repeated_restores_byte_identical(repo, tmp_path):
    chunks, (p1, p2, p3) = three_packs(repo)
    files = {"spread": [p3[0], p1[1], p2[2], p1[1], p3[0], p3[0], p2[0]],
             "twice-in-a-row": [p2[1], p2[1]],
             "shares-with-spread": [p1[1], p3[0]],
             "empty": []}
    with repo.session():
        point = commit_files(repo, files, chunks)
    assert len({pack_of(repo, c) for c in files["spread"]}) == 3
    out = tmp_path / "out"
    stats = restore_point(fresh(repo, tmp_path), point.id, out)
    assert restored(out) == expected_bytes(files, chunks)
    assert stats.files == 4 and stats.bytes == sum(len(b) for b in expected_bytes(files, chunks).values())
    assert compare_restored(fresh(repo, tmp_path), point.id, out).ok
    assert os.stat(out / "data" / "spread").st_mtime_ns == MTIME_NS


def test_many_files_restore_whole_across_batch_and_open_file_limits(repo, tmp_path, monkeypatch):
    monkeypatch.setattr(restore_content, "BATCH_FILES", 3)
    monkeypatch.setattr(restore_content, "OPEN_FILES", 4)
    chunks, (p1, p2, p3) = three_packs(repo)
    every = p1 + p2 + p3
    files = {f"f{n:02}": [every[(n * 7 + k) % 9] for k in range(n % 4)] for n in range(40)}
    with repo.session():
        point = commit_files(repo, files, chunks)
    out = tmp_path / "out"
    restore_point(fresh(repo, tmp_path), point.id, out)
    assert restored(out) == expected_bytes(files, chunks)


@pytest.mark.parametrize("damage", ["missing", "flipped"])
def test_a_damaged_pack_in_the_middle_fails_only_the_files_that_need_it(repo, tmp_path, damage):
    chunks, (p1, p2, p3) = three_packs(repo)
    files = {"first": [p1[0], p1[2]], "last": [p3[1], p3[0]], "middle": [p2[0]],
             "across": [p1[1], p2[1], p3[2]], "first-and-last": [p3[2], p1[0]]}
    with repo.session():
        point = commit_files(repo, files, chunks)
    if damage == "missing":
        pack_of(repo, p2[0]).unlink()
    else:
        flip_blob(repo, p2[0])
        flip_blob(repo, p2[1])
    out = tmp_path / "out"
    with pytest.raises(RestoreDamagedError) as caught:
        restore_point(fresh(repo, tmp_path), point.id, out)
    reasons = {Path(d.path).name: d.reason for d in caught.value.stats.damaged}
    assert sorted(reasons) == ["across", "middle"]
    assert all(("is missing" if damage == "missing" else "failed authentication") in r for r in reasons.values())
    intact = expected_bytes(files, chunks)
    del intact["across"], intact["middle"]
    assert restored(out) == intact  # no partial file, nothing else missing
    assert caught.value.exit_code == ExitCode.CORRUPT and caught.value.stats.files == 3


@contextlib.contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """Writes past ``limit`` bytes fail with EFBIG, as writes to a full disk fail with ENOSPC."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def test_a_restore_stopped_by_a_write_error_leaves_no_partial_file(repo, tmp_path):
    chunks, (p1, p2, p3) = three_packs(repo)
    files = {"big": p1 + p2 + p3, **{f"small{n}": [every] for n, every in enumerate(p1)}}
    with repo.session():
        point = commit_files(repo, files, chunks)
    reader = fresh(repo, tmp_path)
    assert len(reader.index)  # read before the limit: the cache writes its copy of the index
    out = tmp_path / "out"
    (out / "data").mkdir(parents=True)
    with file_size_limit(300_000), pytest.raises(OSError):
        restore_point(reader, point.id, out)
    left = {p.name for p in (out / "data").iterdir()}
    assert "big" not in left and not [name for name in left if "partial" in name]
    assert all(restored(out)[name] == expected_bytes(files, chunks)[name] for name in left)
