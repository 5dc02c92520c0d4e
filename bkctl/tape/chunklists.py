"""Which data chunks each point put on tape: what lets an incremental skip its base chain's chunks.

An incremental point on tape holds only the data chunks its base chain (its base, that
base's base, ... back to a full) does not already hold. Reading the chain's trailers back
from tape to learn those ids would load cartridges at every backup, so the writer keeps,
beside the local catalog, one list per written point: the tape ids of the data chunks that
point's stream holds, in ``<library>/chunk-lists/<media set>/<point id>``.

A list is a cache of what is on tape, never the truth: it is written (sealed with the
library key, like the local catalog: chunk ids are keyed hashes, but nothing of a library
is left readable without the passphrase; replaced atomically) only after the point is
committed, so a list never names a chunk that is not on tape. A missing or unreadable list
(``tape scan`` rebuilt the catalog elsewhere, or a kill came between the commit and the
list) makes :meth:`ChunkLists.chain` answer None, and the writer then writes a full point.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

import zstandard

from bkctl.errors import BkctlError
from bkctl.repo.crypto import MasterKey
from bkctl.tape.durable import replace_file

__all__ = ["ChunkLists"]

_AD = b"bkctl-tape-chunk-list"
_ID_LENGTH = 32


class ChunkLists:
    """The sealed per-point chunk lists of one library."""

    def __init__(self, library: Path, key: MasterKey) -> None:
        self.folder = library / "chunk-lists"
        self._key = key

    def _path(self, media_set: str, point_id: str) -> Path:
        return self.folder / media_set / point_id

    def save(self, media_set: str, point_id: str, chunk_ids: Iterable[bytes]) -> None:
        """Record the chunks a committed point wrote (idempotent: a rewrite replaces the list)."""
        body = zstandard.ZstdCompressor(level=3).compress(b"".join(sorted(chunk_ids)))
        replace_file(self._path(media_set, point_id), self._key.seal(body, _AD + media_set.encode()))

    def load(self, media_set: str, point_id: str) -> set[bytes] | None:
        """The chunk ids the point wrote, or None when its list is missing or does not open."""
        try:
            sealed = self._path(media_set, point_id).read_bytes()
            body = zstandard.ZstdDecompressor().decompress(
                self._key.open(sealed, _AD + media_set.encode(), what=f"tape chunk list {point_id}"))
        except (OSError, BkctlError, zstandard.ZstdError):
            return None  # a damaged list is a missing list: the next write is a full
        if len(body) % _ID_LENGTH:
            return None
        return {body[i:i + _ID_LENGTH] for i in range(0, len(body), _ID_LENGTH)}

    def chain(self, media_set: str, point_ids: Sequence[str]) -> set[bytes] | None:
        """Every chunk the points of a chain hold, or None when any of their lists is missing."""
        held: set[bytes] = set()
        for point_id in point_ids:
            listed = self.load(media_set, point_id)
            if listed is None:
                return None
            held |= listed
        return held

    def delete_set(self, media_set: str) -> None:
        """Forget a media set's lists (its catalog is gone: recycled, or rebuilt without it)."""
        shutil.rmtree(self.folder / media_set, ignore_errors=True)
