"""Packs: many sealed blobs in one object, so object stores see few large writes.

Layout: ``blob_1 || ... || blob_n || sealed(header) || u32le(len(sealed header))``. The
header (zstd-compressed JSON: the hex ids halve) repeats the index entries of the pack so
an index can be rebuilt from packs alone. The pack name is the BLAKE3 hash of its bytes: ``data/<2 hex>/<64 hex>``.

A pack being built is spooled to an anonymous temporary file (``TMPDIR``), hashed as it
grows, and uploaded from there: a backup holds no pack in memory, only the blobs its
workers are sealing. The file has no name, so a killed process leaves nothing behind.
"""

from __future__ import annotations

import errno
import struct
import tempfile
from dataclasses import dataclass, field
from typing import IO

import blake3
import zstandard

from bkctl.errors import RepositoryCorruptError, StorageFullError
from bkctl.repo.crypto import MasterKey
from bkctl.repo.jsoncodec import compact, loads_bounded
from bkctl.store.base import BlobStore

__all__ = ["PACK_TARGET_SIZE", "IndexEntry", "PackBuilder", "FinishedPack", "pack_header_entries",
           "read_pack_header", "pack_name_matches"]

PACK_TARGET_SIZE = 16 << 20
_HEADER_AD = b"bkctl-pack-header"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # a JSON header starts with "[" instead


@dataclass(slots=True, unsafe_hash=True)
class IndexEntry:
    """Where one blob lives. ``length`` is sealed bytes; ``raw_length`` is plaintext.

    Treated as immutable (and hashable), but not ``frozen``: a frozen dataclass's
    ``__init__`` sets each field through ``object.__setattr__``, 3.5x the cost, and
    reading the index builds one entry per blob stored (a third of reading the index).
    """

    pack: str
    offset: int
    length: int
    raw_length: int
    kind: str


@dataclass
class FinishedPack:
    """A pack ready to upload: its bytes in ``file`` (from offset 0), until :meth:`close`."""

    name: str
    file: IO[bytes]
    size: int
    entries: list[tuple[bytes, IndexEntry]]

    def store(self, store: BlobStore) -> None:
        """Upload, then drop the spooled bytes (also when the upload fails)."""
        try:
            store.put_file(self.name, self.file)
        finally:
            self.close()

    def close(self) -> None:
        self.file.close()


@dataclass
class PackBuilder:
    """Collects sealed blobs, spooled to a temporary file, until the pack is big enough."""

    blobs: list[tuple[bytes, str, int, int, int]] = field(default_factory=list)
    size: int = 0
    _file: IO[bytes] | None = None
    _hasher: blake3.blake3 = field(default_factory=blake3.blake3)

    def add(self, blob_id: bytes, kind: str, sealed: bytes, raw_length: int) -> None:
        self.add_many(kind, [(blob_id, sealed, raw_length)])  # joining one bytes object copies nothing

    def add_many(self, kind: str, blobs: list[tuple[bytes, bytes, int]]) -> None:
        """Append ``(blob id, sealed, raw length)`` blobs with one write and one hash update.

        Listed only once written: a failed write (a full spool folder) leaves no entry
        pointing past the end of the spooled bytes."""
        rows, offset = [], self.size
        for blob_id, sealed, raw_length in blobs:
            rows.append((blob_id, kind, offset, len(sealed), raw_length))
            offset += len(sealed)
        self._write(b"".join(sealed for _, sealed, _ in blobs))
        self.blobs.extend(rows)
        self.size = offset

    def _write(self, data: bytes | memoryview) -> None:
        try:
            if self._file is None:
                self._file = tempfile.TemporaryFile(prefix="bkctl-pack-")  # noqa: SIM115 (closed by FinishedPack or discard)
            self._file.write(data)
        except OSError as error:
            if error.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            raise StorageFullError(f"no space left to spool a pack in {tempfile.gettempdir()}",
                                   hint="free space there, or set TMPDIR to a folder with room") from None
        self._hasher.update(data)

    def full(self) -> bool:
        return self.size >= PACK_TARGET_SIZE

    def finish(self, key: MasterKey) -> FinishedPack:
        header = compact([[i.hex(), kind, offset, length, raw] for i, kind, offset, length, raw in self.blobs])
        sealed_header = key.seal(zstandard.ZstdCompressor(level=3).compress(header), _HEADER_AD)
        self._write(sealed_header)
        self._write(struct.pack("<I", len(sealed_header)))
        assert self._file is not None
        file, self._file = self._file, None
        file.flush()
        file.seek(0)
        digest = self._hasher.hexdigest()
        name = f"data/{digest[:2]}/{digest}"
        entries = [
            (blob_id, IndexEntry(name, offset, length, raw, kind))
            for blob_id, kind, offset, length, raw in self.blobs
        ]
        return FinishedPack(name, file, self.size + len(sealed_header) + 4, entries)

    def discard(self) -> None:
        """Drop what was collected (an aborted backup)."""
        if self._file is not None:
            self._file.close()
            self._file = None


def pack_name_matches(name: str, data: bytes) -> bool:
    """A pack's name is the BLAKE3 of its bytes: any flipped byte anywhere shows here."""
    return name.rsplit("/", 1)[-1] == blake3.blake3(data).hexdigest()


def pack_header_entries(key: MasterKey, name: str, data: bytes) -> list[tuple[bytes, IndexEntry]]:
    """The entries a whole pack's own header lists; damage raises RepositoryCorruptError."""
    if len(data) < 4:
        raise RepositoryCorruptError(f"pack {name} is truncated")
    (length,) = struct.unpack("<I", data[-4:])
    if length + 4 > len(data):
        raise RepositoryCorruptError(f"pack {name} has a damaged header length")
    return _decode_header(key, name, data[-4 - length : -4], len(data) - 4 - length)


def read_pack_header(store: BlobStore, key: MasterKey, name: str) -> list[tuple[bytes, IndexEntry]]:
    """The header of a stored pack, read with two ranged reads instead of the whole pack."""
    size = store.size(name)
    if size < 4:
        raise RepositoryCorruptError(f"pack {name} is truncated")
    (length,) = struct.unpack("<I", store.get_range(name, size - 4, 4))
    if length + 4 > size:
        raise RepositoryCorruptError(f"pack {name} has a damaged header length")
    start = size - 4 - length
    return _decode_header(key, name, store.get_range(name, start, length), start)


def _decode_header(key: MasterKey, name: str, sealed: bytes, header_start: int) -> list[tuple[bytes, IndexEntry]]:
    body = key.open(sealed, _HEADER_AD, what=f"header of pack {name}")
    try:
        if body.startswith(_ZSTD_MAGIC):  # packs written before headers were compressed hold plain JSON
            body = zstandard.ZstdDecompressor().decompress(body)
        entries = []
        for blob_id, kind, offset, length, raw in loads_bounded(body):
            if offset < 0 or length < 0 or offset + length > header_start:
                raise ValueError(f"blob {blob_id} lies outside the pack")
            entries.append((bytes.fromhex(blob_id), IndexEntry(name, int(offset), int(length), int(raw), str(kind))))
        return entries
    except (ValueError, TypeError, zstandard.ZstdError) as exc:
        raise RepositoryCorruptError(f"header of pack {name} is unreadable: {exc}") from None
