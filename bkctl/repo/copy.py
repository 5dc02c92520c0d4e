"""Copying recovery points between repositories (geo-redundant replicas).

Chunk and tree ids are BLAKE3 keyed with each repository's own secret, so a point cannot
be copied as bytes: every chunk is read and decrypted from the source, then saved into
the destination, which re-hashes it with its key. ``save_blob`` claims ids against the
destination index first, so a chunk the replica already holds is never uploaded again
(only the read from the source is paid). Trees are rewritten bottom-up with the new ids:
a Merkle rewrite, memoised per source id so a subtree shared by several copied points is
rewritten once.

Reading every chunk again for every new point would make a copy of an unchanged point cost a
full read of the source: ``copymap`` records which source chunk became which replica chunk,
so a chunk the replica still indexes is neither read nor decrypted again (only trees are).

The copy keeps the point's id, time, host, workload, paths, stats and meta, so both
targets list the same recovery point. Order of writes is a backup's: packs, index, then
the point document, each checked at commit like a backup's (the destination is written
in a session; the source is read under a shared lock, so a reclaim there waits for it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from bkctl.repo.copymap import append_copy_map, read_copy_map
from bkctl.repo.points import PointInfo
from bkctl.repo.repository import Repository
from bkctl.repo.tree import Node, encode_tree

__all__ = ["CopyStats", "copy_points"]


@dataclass
class CopyStats:
    """What a copy did: points written or already there, blobs sent or deduplicated."""

    points_copied: int = 0
    points_present: int = 0
    blobs_new: int = 0
    blobs_present: int = 0
    bytes_stored: int = 0
    chunks_read: int = 0


class _PointCopier:
    """Rewrites trees of one source into one destination; ids memoised across points."""

    def __init__(self, source: Repository, destination: Repository, compression: int | None,
                 stats: CopyStats) -> None:
        self._source = source
        self._destination = destination
        self._compression = compression
        self._stats = stats
        self._ids: dict[str, str] = {}  # source id (hex) -> destination id (hex)
        self._known = read_copy_map(destination, source.id)  # from earlier copies
        self.learned: dict[bytes, bytes] = {}  # chunk pairs to record once committed

    def references(self) -> set[bytes]:
        """Every destination id this copier produced: a superset of what its points need."""
        return {bytes.fromhex(blob_id) for blob_id in self._ids.values()}

    def tree(self, tree_id: str) -> str:
        """The destination id of source tree ``tree_id``, after copying all it references."""
        if tree_id not in self._ids:
            nodes = [self._node(node) for node in self._source.load_tree(tree_id)]
            self._ids[tree_id] = self._save("t", encode_tree(nodes))
        return self._ids[tree_id]

    def _node(self, node: Node) -> Node:
        # load_tree is memoised, so the source's node dicts are shared: build new ones.
        copied = dict(node)
        if node.get("content"):
            copied["content"] = [self._chunk(chunk) for chunk in node["content"]]
        if node.get("subtree"):
            copied["subtree"] = self.tree(node["subtree"])
        return copied

    def _chunk(self, chunk_id: str) -> str:
        if chunk_id not in self._ids:
            self._ids[chunk_id] = self._known_chunk(chunk_id) or self._read_and_save(chunk_id)
        return self._ids[chunk_id]

    def _known_chunk(self, chunk_id: str) -> str | None:
        """The replica's id of a chunk an earlier copy stored, while the replica still indexes it."""
        known = self._known.get(bytes.fromhex(chunk_id))
        if known is None or known not in self._destination.index:
            return None
        self._stats.blobs_present += 1
        return known.hex()

    def _read_and_save(self, chunk_id: str) -> str:
        source_id = bytes.fromhex(chunk_id)
        data = self._source.load_blob(source_id, "d")
        self._stats.chunks_read += 1
        saved = self._save("d", data)
        self.learned[source_id] = bytes.fromhex(saved)
        return saved

    def _save(self, kind: str, data: bytes) -> str:
        result = self._destination.save_blob(kind, data, self._compression)
        if result.new:
            self._stats.blobs_new += 1
            self._stats.bytes_stored += result.stored_length
        else:
            self._stats.blobs_present += 1
        return result.blob_id.hex()


def copy_points(source: Repository, destination: Repository, ids: Iterable[str], *,
                compression: int | None = 3, remember: bool = True) -> CopyStats:
    """Copy the points ``ids`` (full ids or unique prefixes) from ``source`` into ``destination``.

    Idempotent: a point whose id the destination already lists is left alone, so a copy
    interrupted and run again finishes the job without duplicating anything. A missing
    source point raises NotFoundError; damaged source data raises RepositoryCorruptError
    and leaves the destination without that point (its packs become unreferenced data).
    ``remember=False`` writes no copy map: the source is thrown away after this copy.
    """
    stats = CopyStats()
    with destination.session(), source.lock("shared"):
        present = {point.id for point in destination.list_points()}
        copier = _PointCopier(source, destination, compression, stats)
        for wanted in ids:
            point = source.get_point(wanted)
            if point.id in present:
                stats.points_present += 1
                continue
            document = _copy_one(copier, destination, point)
            destination.commit_point(document, copier.references())
            present.add(point.id)
            stats.points_copied += 1
            if remember:
                append_copy_map(destination, source.id, copier.learned)  # only what committed points use
            copier.learned = {}
    return stats


def _copy_one(copier: _PointCopier, destination: Repository, point: PointInfo) -> PointInfo:
    """Data and index of one point in the destination; returns the document to commit."""
    try:
        root = copier.tree(point.root) if point.root else ""
        destination.flush()
    except BaseException:
        destination.abort()  # release claims so a retry stores those blobs
        raise
    return replace(point, root=root)
