"""Reading any byte range of a stored file, for ``dump`` and ``mount``.

Read-only. A file node lists its chunks in order; the index knows each chunk's plaintext
length, so where every chunk sits in the file is known before any data is read. A sparse
file's chunks hold only its data extents, concatenated: they are laid over the extents in
order and the holes read as zeros, as they would from the restored file. Reads past
the end are short, as a file's are.

The last few chunks read are kept (``CACHED_CHUNKS``): a kernel reads a mounted file in
128 KiB requests, so without it every 1 MiB chunk would be fetched and authenticated
eight times.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from bkctl.errors import RepositoryCorruptError, UsageError
from bkctl.repo.index import Index
from bkctl.repo.tree import Node

__all__ = ["CACHED_CHUNKS", "ContentLoader", "Piece", "FileContent", "pieces"]

CACHED_CHUNKS = 4  # chunks are 1 MiB on average, at most 4 MiB: at most 16 MiB held per open file


class ContentLoader(Protocol):
    """What reading needs of a repository: the index (chunk lengths) and authenticated blobs."""

    @property
    def index(self) -> Index: ...

    def load_blob(self, blob_id: bytes, kind: str = "d") -> bytes: ...


@dataclass(frozen=True, slots=True)
class Piece:
    """``length`` bytes of chunk ``chunk`` from ``start`` on, placed at ``offset`` in the file."""

    offset: int
    chunk: bytes
    start: int
    length: int


def pieces(index: Index, node: Node) -> list[Piece]:
    """Where each chunk's bytes land in the file, in file order."""
    ids = [bytes.fromhex(chunk) for chunk in node.get("content") or []]
    lengths = [(chunk, index.get(chunk).raw_length) for chunk in ids]
    if "extents" not in node:
        placed, offset = [], 0
        for chunk, length in lengths:
            placed.append(Piece(offset, chunk, 0, length))
            offset += length
        return placed
    return _over_extents(lengths, [(int(a), int(b)) for a, b in node.get("extents") or []])


def _over_extents(lengths: list[tuple[bytes, int]], extents: list[tuple[int, int]]) -> list[Piece]:
    """Lay the chunk stream over the data extents: a chunk may span several extents and the reverse."""
    placed: list[Piece] = []
    remaining = list(extents)
    for chunk, length in lengths:
        start = 0
        while start < length and remaining:
            offset, size = remaining[0]
            part = min(size, length - start)
            placed.append(Piece(offset, chunk, start, part))
            start += part
            remaining[0] = (offset + part, size - part)
            if remaining[0][1] == 0:
                remaining.pop(0)
    return placed


class FileContent:
    """Random access to one stored file; thread-safe (a mount may read from several threads)."""

    def __init__(self, repo: ContentLoader, node: Node, *, what: str = "") -> None:
        if node.get("type") != "file":
            raise UsageError(f"{what or node.get('name')} is a {node.get('type')}, not a file")
        self.size = int(node.get("size") or 0)
        self.what = what or str(node.get("name"))
        self._repo = repo
        self._pieces = pieces(repo.index, node)
        self._starts = [piece.offset for piece in self._pieces]
        self._cache: OrderedDict[bytes, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def read(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset`` (fewer only at the end of the file)."""
        end = min(self.size, offset + max(length, 0))
        if offset >= end:
            return b""
        out = bytearray(end - offset)  # holes stay zeros
        first = max(bisect_right(self._starts, offset) - 1, 0)
        for piece in (self._pieces[i] for i in range(first, len(self._pieces))):
            if piece.offset >= end:
                break
            low, high = max(offset, piece.offset), min(end, piece.offset + piece.length)
            if low < high:
                data = self._chunk(piece.chunk)
                begin = piece.start + low - piece.offset
                out[low - offset:high - offset] = data[begin:begin + high - low]
        return bytes(out)

    def _chunk(self, chunk: bytes) -> bytes:
        with self._lock:
            cached = self._cache.get(chunk)
            if cached is not None:
                self._cache.move_to_end(chunk)
                return cached
        try:
            data = self._repo.load_blob(chunk)
        except RepositoryCorruptError as error:
            raise RepositoryCorruptError(f"{self.what}: {error.message}", hint=error.hint) from None
        with self._lock:
            self._cache[chunk] = data
            while len(self._cache) > CACHED_CHUNKS:
                self._cache.popitem(last=False)
        return data
