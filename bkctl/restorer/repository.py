"""What the restorer needs of a repository: find a point, read its trees and its chunks.

The restorer states these members as its own interface (restic's habit) rather than
importing the whole facade; ``load_blob`` and ``read_pack`` authenticate and re-hash
every chunk. The index tells which pack holds each chunk, so files restore in pack order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.index import Index
from bkctl.repo.pack import IndexEntry
from bkctl.repo.points import PointInfo
from bkctl.repo.tree import Node

__all__ = ["RestorerRepository"]


class RestorerRepository(Protocol):
    @property
    def index(self) -> Index:
        """Where each blob is stored (and its plaintext length)."""

    def get_point(self, point_id_or_unique_prefix: str) -> PointInfo:
        """The point with this id or unique id prefix (NotFoundError otherwise)."""

    def load_tree(self, tree_id: str) -> list[Node]:
        """One tree, authenticated."""

    def load_blob(self, blob_id: bytes, kind: str = "d") -> bytes:
        """One blob, authenticated, decompressed and checked against its id (from worker threads)."""

    def read_pack(self, pack: str, blobs: list[tuple[bytes, IndexEntry]]
                  ) -> Iterator[tuple[bytes, bytes | RepositoryCorruptError]]:
        """Blobs of one pack in a few ranged reads, each checked; damage returned per blob (from worker threads)."""

    def check_stored(self, blob_ids: Iterable[bytes]) -> None:
        """RepositoryCorruptError unless every blob is indexed and its pack exists (no data read)."""
