"""Sparse files: data regions are found and read back to back, holes skipped."""

from __future__ import annotations

import os
from pathlib import Path

from bkctl.archiver.sparse import ExtentReader, data_extents, looks_sparse


def test_extents_cover_the_data_and_skip_the_holes(tmp_path: Path):
    path = tmp_path / "sparse"
    with open(path, "wb") as handle:
        handle.seek(4 << 20)
        handle.write(b"A" * 5000)
        handle.seek(12 << 20)
        handle.write(b"B" * 10)
        handle.truncate(20 << 20)
    assert looks_sparse(os.stat(path))
    fd = os.open(path, os.O_RDONLY)
    try:
        extents = data_extents(fd, os.stat(path).st_size)
        assert sum(length for _, length in extents) < 1 << 20
        data = ExtentReader(fd, extents).read()
    finally:
        os.close(fd)
    assert data.replace(b"\0", b"") == b"A" * 5000 + b"B" * 10


def test_a_dense_file_is_not_treated_as_sparse(tmp_path: Path):
    path = tmp_path / "dense"
    path.write_bytes(b"x" * 100_000)
    assert not looks_sparse(os.stat(path))
