"""What the archiver needs of a repository: the few members it calls, and nothing else.

Like restic's ``archiverRepo``, the archiver states its own small interface instead of
importing the whole repository facade: it saves blobs, reads the parent point's trees,
keeps the parent's file map in the cache, and commits one point document under a shared
lock. Anything offering these members can be backed up into, which keeps the archiver's
dependency on the engine as narrow as the calls it makes.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Protocol

from bkctl.repo.blobs import SaveResult
from bkctl.repo.cache import Cache
from bkctl.repo.chunker import Chunker
from bkctl.repo.crypto import MasterKey
from bkctl.repo.index import Index
from bkctl.repo.points import PointInfo
from bkctl.repo.tree import Node

__all__ = ["ArchiverRepository"]


class ArchiverRepository(Protocol):
    @property
    def chunker(self) -> Chunker:
        """Cuts streams into chunks with the repository's seed."""

    @property
    def cache(self) -> Cache:
        """Local cache of the parent points' file maps."""

    @property
    def key(self) -> MasterKey:
        """Seals the cached file maps."""

    @property
    def index(self) -> Index:
        """The session's index: which of the parent's chunks may be reused."""

    def session(self) -> AbstractContextManager[object]:
        """A writing session: a shared lock and a freshly read index, for the whole save."""

    def abort(self) -> None:
        """Drop a failed save's unindexed packs and claims."""

    def list_points(self, *, private: bool = True) -> list[PointInfo]:
        """Every point, oldest first (to find the parent; ``private=False``: without roots and paths)."""

    def load_point(self, point_id: str) -> PointInfo | None:
        """One point with its root (the parent, when its file map is not cached)."""

    def load_tree(self, tree_id: str) -> list[Node]:
        """One tree of the parent point (when its file map is not cached)."""

    def save_blob(self, kind: str, data: bytes | memoryview, compression: int | None) -> SaveResult:
        """Store one blob unless the repository already holds it (called from worker threads)."""

    def save_blobs(self, kind: str, datas: list[bytes], compression: int | None) -> list[SaveResult]:
        """:meth:`save_blob` for a batch of small blobs, in order (the small-file path)."""

    def flush(self) -> None:
        """Write the open pack and the index: everything the point references is stored."""

    def commit_point(self, point: PointInfo, references: Iterable[bytes] | None = None) -> None:
        """Check that everything ``references`` names is still stored, then write the point document."""
