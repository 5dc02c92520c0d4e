"""Reclaim: delete packs that no recovery point references.

Partially used packs are kept whole (no repacking yet): simple, and never rewrites data
that is still needed. Order is crash-safe: the new index is written before the old index
objects go, and packs go last, so at every moment every index entry's pack exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bkctl.repo.index import encode_index, new_index_name
from bkctl.repo.pack import IndexEntry
from bkctl.repo.reachability import used_blobs

if TYPE_CHECKING:
    from bkctl.repo.repository import Repository

__all__ = ["ReclaimStats", "reclaim"]


@dataclass(frozen=True)
class ReclaimStats:
    packs_deleted: int
    packs_kept: int
    bytes_freed: int
    unused_blobs_kept: int


def reclaim(repo: Repository) -> ReclaimStats:
    with repo.lock(exclusive=True):
        repo.reload_index()
        used = used_blobs(repo, repo.list_points())
        by_pack: dict[str, list[tuple[bytes, IndexEntry]]] = {}
        for blob_id, entry in repo.index.entries.items():
            by_pack.setdefault(entry.pack, []).append((blob_id, entry))
        kept = {pack: items for pack, items in by_pack.items()
                if any(blob_id in used for blob_id, _ in items)}
        stored_packs = set(repo.store.list("data/"))
        doomed = sorted(stored_packs - set(kept))
        freed = sum(entry.length for pack in doomed for _, entry in by_pack.get(pack, []))
        old_indexes = list(repo.store.list("index/"))
        if kept:
            entries = [item for items in kept.values() for item in items]
            repo.store.put(new_index_name(), encode_index(repo.key, entries))
        for name in old_indexes:
            repo.store.delete(name)
        for name in doomed:
            repo.store.delete(name)
        repo.reload_index()
        unused = sum(1 for items in kept.values() for blob_id, _ in items if blob_id not in used)
        return ReclaimStats(len(doomed), len(kept), freed, unused)
