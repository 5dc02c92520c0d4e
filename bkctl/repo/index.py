"""The index: blob id -> where it is stored, loaded from ``index/*`` objects.

Index objects are immutable and written after the packs they describe (never before),
so every entry points at an existing pack. They are sealed zstd JSON:
``{"version": 1, "packs": {pack_name: [[id_hex, kind, offset, length, raw_length], ...]}}``.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterable

import zstandard

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.crypto import MasterKey
from bkctl.repo.pack import IndexEntry

__all__ = ["Index", "decode_index", "encode_index", "new_index_name"]

_AD = b"bkctl-index"


class Index:
    """All known entries plus the ids a running backup has claimed but not yet stored.

    ``claim`` is the dedup decision: exactly one thread gets True for a new id, so two
    workers never store the same chunk twice.
    """

    def __init__(self) -> None:
        self.entries: dict[bytes, IndexEntry] = {}
        self._claimed: set[bytes] = set()
        self._lock = threading.Lock()

    def __contains__(self, blob_id: bytes) -> bool:
        return blob_id in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, blob_id: bytes) -> IndexEntry:
        try:
            return self.entries[blob_id]
        except KeyError:
            raise RepositoryCorruptError(
                f"blob {blob_id.hex()} is missing from the index",
                hint="run 'verify' to list the affected recovery points",
            ) from None

    def claim(self, blob_id: bytes) -> bool:
        with self._lock:
            if blob_id in self.entries or blob_id in self._claimed:
                return False
            self._claimed.add(blob_id)
            return True

    def release_claims(self) -> None:
        """Forget claims of blobs that never reached the store (after a failed backup)."""
        with self._lock:
            self._claimed.clear()

    def add(self, items: Iterable[tuple[bytes, IndexEntry]]) -> None:
        with self._lock:
            for blob_id, entry in items:
                self.entries.setdefault(blob_id, entry)


def new_index_name() -> str:
    return f"index/{secrets.token_hex(32)}"


def encode_index(key: MasterKey, items: Iterable[tuple[bytes, IndexEntry]]) -> bytes:
    packs: dict[str, list[list[object]]] = {}
    for blob_id, e in items:
        packs.setdefault(e.pack, []).append(
            [blob_id.hex(), e.kind, e.offset, e.length, e.raw_length])
    body = json.dumps({"version": 1, "packs": packs}, separators=(",", ":")).encode()
    return key.seal(zstandard.ZstdCompressor(level=3).compress(body), _AD)


def decode_index(key: MasterKey, name: str, raw: bytes) -> list[tuple[bytes, IndexEntry]]:
    """Entries of one index object; damage raises RepositoryCorruptError naming it."""
    body = key.open(raw, _AD, what=f"index object {name}")
    try:
        document = json.loads(zstandard.ZstdDecompressor().decompress(body))
        items = []
        for pack, rows in document["packs"].items():
            pack_name = str(pack)
            for blob_id, kind, offset, length, raw_length in rows:
                entry = IndexEntry(pack_name, offset, length, raw_length, kind)
                items.append((bytes.fromhex(blob_id), entry))
        return items
    except (ValueError, KeyError, TypeError, zstandard.ZstdError) as exc:
        raise RepositoryCorruptError(f"index object {name} is unreadable: {exc}") from None
