"""What the archiver needs of a repository: the few members it calls, and nothing else.

Like restic's ``archiverRepo``, the archiver states its own small interface instead of
importing the whole repository facade: it saves blobs, reads the parent point's trees,
keeps the parent's file map in the cache, and commits one point document under a shared
lock. Anything offering these members can be backed up into, which keeps the archiver's
dependency on the engine as narrow as the calls it makes.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from bkctl.repo.blobs import BlobWriter, SaveResult
from bkctl.repo.cache import Cache
from bkctl.repo.chunker import Chunker
from bkctl.repo.crypto import MasterKey
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
    def writer(self) -> BlobWriter:
        """The pack writer, aborted when a save fails so its claims are released."""

    def lock(self, *, exclusive: bool) -> AbstractContextManager[object]:
        """A repository lock; the archiver takes a shared one for the whole save."""

    def list_points(self) -> list[PointInfo]:
        """Every point, oldest first (to find the parent)."""

    def load_tree(self, tree_id: str) -> list[Node]:
        """One tree of the parent point (when its file map is not cached)."""

    def save_blob(self, kind: str, data: bytes | memoryview, compression: int | None) -> SaveResult:
        """Store one blob unless the repository already holds it (called from worker threads)."""

    def flush(self) -> None:
        """Write the open pack and the index: everything the point references is stored."""

    def commit_point(self, point: PointInfo) -> None:
        """Write the point document: the last write of a backup."""
