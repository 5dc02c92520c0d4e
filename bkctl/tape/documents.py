"""Small self-describing files on tape: labels, headers, end records, catalogs.

Each is one tape file: ``magic(8) || u32le(length) || payload``, cut into blocks and
closed by a filemark. The magic names the kind (so a scan can tell a catalog from a
header by reading one block); the payload is sealed zstd canonical JSON with the
library key, with ``bkctl-tape-<kind>`` as associated data, so a document cannot be
passed off as another kind. Only the volume label is plain JSON: it carries the wrapped
keys a reader needs before it can open anything else.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import zstandard

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.crypto import MasterKey
from bkctl.tape.drive import Drive
from bkctl.tape.durable import canonical_json

__all__ = ["KINDS", "kind_of", "open_document", "plain_document", "read_document", "seal_document",
           "write_document"]

KINDS = {b"BKTLABL1": "label", b"BKTMSET1": "media-set", b"BKTHEAD1": "header", b"BKTEND01": "end",
         b"BKTCATL1": "catalog"}
_MAGIC = {kind: magic for magic, kind in KINDS.items()}
_PREFIX = struct.Struct("<8sI")


def kind_of(block: bytes | None) -> str | None:
    """The kind of document a file's first block starts, or None (data, or a filemark)."""
    if block is None or len(block) < _PREFIX.size:
        return None
    return KINDS.get(block[:8])


def seal_document(key: MasterKey, kind: str, body: Any) -> bytes:
    compressed = zstandard.ZstdCompressor(level=3).compress(canonical_json(body))
    return _frame(kind, key.seal(compressed, f"bkctl-tape-{kind}".encode()))


def plain_document(kind: str, body: Any) -> bytes:
    return _frame(kind, canonical_json(body))


def _frame(kind: str, payload: bytes) -> bytes:
    return _PREFIX.pack(_MAGIC[kind], len(payload)) + payload


def open_document(key: MasterKey | None, kind: str, payload: bytes, where: str) -> Any:
    """The JSON body of a document read back; damage or a wrong kind is corruption."""
    try:
        if key is None:
            return json.loads(payload)
        sealed = key.open(payload, f"bkctl-tape-{kind}".encode(), what=f"{kind} {where}")
        return json.loads(zstandard.ZstdDecompressor().decompress(sealed, max_output_size=1 << 30))
    except (ValueError, zstandard.ZstdError) as exc:
        raise RepositoryCorruptError(f"{kind} {where} is unreadable: {exc}") from None


def write_document(drive: Drive, document: bytes, block_size: int) -> int:
    """Write a document as a new file at the current position; returns its file number."""
    number = drive.status().file_number
    view = memoryview(document)
    for start in range(0, len(view), block_size):
        drive.write_block(view[start:start + block_size])
    drive.write_filemark()
    return number


def read_document(drive: Drive, first: bytes | None = None) -> tuple[str, bytes]:
    """Read the document starting at the position (or whose first block is ``first``)."""
    block = drive.read_block() if first is None else first
    kind = kind_of(block)
    if kind is None or block is None:
        raise RepositoryCorruptError(f"expected a bkctl tape document on {drive.barcode} "
                                     f"(file {drive.status().file_number})")
    _, length = _PREFIX.unpack_from(block)
    parts = [block[_PREFIX.size:]]
    have = len(parts[0])
    while have < length:
        more = drive.read_block()
        if more is None:
            raise RepositoryCorruptError(f"{kind} on {drive.barcode} is truncated")
        parts.append(more)
        have += len(more)
    return kind, b"".join(parts)[:length]
