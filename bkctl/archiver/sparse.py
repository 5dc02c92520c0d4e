"""Sparse files: find data regions with SEEK_DATA/SEEK_HOLE and read only those.

Holes are not stored at all; the node records the data extents, and the chunk stream is
the concatenation of the extents, so a 10 GiB VM image with 1 GiB of data costs 1 GiB.
"""

from __future__ import annotations

import errno
import io
import os

__all__ = ["ExtentReader", "data_extents", "looks_sparse"]


def looks_sparse(st: os.stat_result) -> bool:
    return st.st_size > 0 and st.st_blocks * 512 < st.st_size


def data_extents(fd: int, size: int) -> list[tuple[int, int]]:
    """``[(offset, length), ...]`` of the regions holding data, in file order."""
    extents: list[tuple[int, int]] = []
    offset = 0
    while offset < size:
        try:
            start = os.lseek(fd, offset, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:
                break  # only a hole remains
            raise
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        if end > start:
            extents.append((start, end - start))
        offset = end
    return extents


class ExtentReader(io.RawIOBase):
    """Reads the given extents of ``fd`` back to back, as one stream."""

    def __init__(self, fd: int, extents: list[tuple[int, int]]) -> None:
        self._fd = fd
        self._extents = list(reversed(extents))
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while self._extents:
            offset, length = self._extents[-1]
            if length == 0:
                self._extents.pop()
                continue
            wanted = min(length, len(buffer), 8 << 20)
            data = os.pread(self._fd, wanted, offset)
            if not data:  # file shrank while we read it
                self._extents.clear()
                return 0
            buffer[: len(data)] = data
            self._extents[-1] = (offset + len(data), length - len(data))
            self.bytes_read += len(data)
            return len(data)
        return 0
