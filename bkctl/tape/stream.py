"""A point's stream: sealed records cut into fixed-size blocks, continued across cartridges.

Every record is a sealed **frame** (fixed size: kind, blob id, sealed length, raw length;
AES-GCM with ``bkctl-tape-frame`` as associated data, so nothing about blob sizes is
readable) followed by the sealed blob exactly as a repository pack would hold it
(``nonce || AES-GCM(zstd?(plaintext))`` with ``kind || id`` bound in). Kinds: ``t`` tree,
``d`` data, and ``T`` the trailer, always the last record. A reader therefore walks the
stream front to back without an index; the trailer is the index for readers that want
to jump (partial restores, verification).

Blocks are all ``block_size`` long except the last block of the stream, so a stream
offset maps to (cartridge, block) arithmetically from the parts' start offsets.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.crypto import OVERHEAD, MasterKey

__all__ = ["FRAME_SIZE", "StreamReader", "StreamRecord", "StreamWriter", "open_frame", "seal_frame"]

_FRAME = struct.Struct("<c32sII")
_FRAME_AD = b"bkctl-tape-frame"
FRAME_SIZE = _FRAME.size + OVERHEAD
KINDS = (b"t", b"d", b"T")


def seal_frame(key: MasterKey, kind: bytes, blob_id: bytes, length: int, raw_length: int) -> bytes:
    return key.seal(_FRAME.pack(kind, blob_id, length, raw_length), _FRAME_AD)


def open_frame(key: MasterKey, sealed: bytes, offset: int) -> tuple[bytes, bytes, int, int]:
    kind, blob_id, length, raw_length = _FRAME.unpack(key.open(sealed, _FRAME_AD, what=f"frame at {offset}"))
    if kind not in KINDS:
        raise RepositoryCorruptError(f"unknown record kind {kind!r} at stream offset {offset}")
    return kind, blob_id, length, raw_length


class StreamWriter:
    """Buffers records and hands out full blocks to ``emit`` (which may switch cartridges)."""

    def __init__(self, block_size: int, emit: Callable[[bytes], None]) -> None:
        self.block_size = block_size
        self._emit = emit
        self._buffer = bytearray()
        self.offset = 0  # stream bytes accepted so far

    def write_record(self, key: MasterKey, kind: bytes, blob_id: bytes, sealed: bytes, raw_length: int) -> int:
        """Append one record; returns the stream offset of its sealed payload."""
        self._write(seal_frame(key, kind, blob_id, len(sealed), raw_length))
        start = self.offset
        self._write(sealed)
        return start

    def _write(self, data: bytes) -> None:
        self._buffer += data
        self.offset += len(data)
        size = self.block_size
        while len(self._buffer) >= size:
            block = bytes(self._buffer[:size])
            del self._buffer[:size]
            self._emit(block)

    def finish(self) -> None:
        """Emit the last, short block."""
        if self._buffer:
            block, self._buffer = bytes(self._buffer), bytearray()
            self._emit(block)


@dataclass(frozen=True, slots=True)
class StreamRecord:
    kind: bytes
    blob_id: bytes
    sealed: bytes
    raw_length: int
    offset: int


class StreamReader:
    """Records out of a sequence of blocks (the data files of a point's parts, in order)."""

    def __init__(self, key: MasterKey, blocks: Iterator[bytes]) -> None:
        self._key = key
        self._blocks = blocks
        self._buffer = bytearray()
        self._offset = 0  # stream offset of the buffer's first byte

    def _take(self, count: int) -> bytes:
        while len(self._buffer) < count:
            block = next(self._blocks, None)
            if block is None:
                raise RepositoryCorruptError(f"stream ends early at offset {self._offset + len(self._buffer)}")
            self._buffer += block
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        self._offset += count
        return data

    def records(self) -> Iterator[StreamRecord]:
        """Every record up to and including the trailer."""
        while True:
            at = self._offset
            kind, blob_id, length, raw_length = open_frame(self._key, self._take(FRAME_SIZE), at)
            offset = self._offset
            yield StreamRecord(kind, blob_id, self._take(length), raw_length, offset)
            if kind == b"T":
                return
