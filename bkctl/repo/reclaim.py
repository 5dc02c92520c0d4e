"""Reclaim: delete packs that no recovery point references; repack mostly-unused ones.

A pack whose used blobs fill less than half of it is repacked: its used sealed blobs are
authenticated and copied as they are (the GCM associated data binds a blob to its id
and kind, not to its place, so no re-encryption is needed) into new packs. Packs that
are at least half used are kept whole, which bounds the rewriting cost.

Order is crash-safe: new packs, then one consolidated index, then the old index objects
are deleted, and only then the old packs; at every moment every index entry's pack exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bkctl.repo.blobs import blob_associated_data
from bkctl.repo.index import encode_index, new_index_name
from bkctl.repo.pack import PACK_TARGET_SIZE, IndexEntry, PackBuilder
from bkctl.repo.reachability import used_blobs

if TYPE_CHECKING:
    from bkctl.repo.repository import Repository

__all__ = ["ReclaimStats", "reclaim"]

Items = list[tuple[bytes, IndexEntry]]


@dataclass(frozen=True)
class ReclaimStats:
    packs_deleted: int
    packs_kept: int
    bytes_freed: int
    unused_blobs_kept: int
    packs_repacked: int = 0


def reclaim(repo: Repository) -> ReclaimStats:
    with repo.lock(exclusive=True):
        repo.reload_index()
        used = used_blobs(repo, repo.list_points())
        by_pack: dict[str, Items] = {}
        for blob_id, entry in repo.index.entries.items():
            by_pack.setdefault(entry.pack, []).append((blob_id, entry))
        kept, repack = _classify(by_pack, used)
        entries = [item for items in kept.values() for item in items]
        entries += _repack(repo, repack, used)
        doomed = sorted(set(repo.store.list("data/")) - set(kept) - {e.pack for _, e in entries})
        freed = sum(entry.length for pack in doomed for _, entry in by_pack.get(pack, []))
        old_indexes = list(repo.store.list("index/"))
        if entries:
            repo.store.put(new_index_name(), encode_index(repo.key, entries))
        for name in old_indexes:
            repo.store.delete(name)
        for name in doomed:
            repo.store.delete(name)
        repo.reload_index()
        unused = sum(1 for items in kept.values() for blob_id, _ in items if blob_id not in used)
        return ReclaimStats(len(doomed), len(kept), freed, unused, len(repack))


def _classify(by_pack: dict[str, Items], used: set[bytes]) -> tuple[dict[str, Items],
                                                                     dict[str, Items]]:
    """Packs to keep whole, and packs to repack (used bytes below half the pack)."""
    kept: dict[str, Items] = {}
    repack: dict[str, Items] = {}
    for pack, items in by_pack.items():
        used_bytes = sum(entry.length for blob_id, entry in items if blob_id in used)
        total = sum(entry.length for _, entry in items)
        if used_bytes == 0:
            continue
        (kept if used_bytes * 2 >= total else repack)[pack] = items
    return kept, repack


def _repack(repo: Repository, packs: dict[str, Items], used: set[bytes]) -> Items:
    """Copy the used blobs of ``packs`` into new packs; returns their index entries."""
    entries: Items = []
    builder = PackBuilder()
    for pack, items in sorted(packs.items()):
        data = repo.store.get(pack)
        for blob_id, entry in items:
            if blob_id not in used:
                continue
            sealed = data[entry.offset : entry.offset + entry.length]
            repo.key.open(sealed, blob_associated_data(entry.kind, blob_id),
                          what=f"blob {blob_id.hex()} in pack {pack}")  # never copy damage
            builder.add(blob_id, entry.kind, sealed, entry.raw_length)
            if builder.size >= PACK_TARGET_SIZE:
                entries += _store_pack(repo, builder)
                builder = PackBuilder()
    if builder.blobs:
        entries += _store_pack(repo, builder)
    return entries


def _store_pack(repo: Repository, builder: PackBuilder) -> Items:
    finished = builder.finish(repo.key)
    repo.store.put(finished.name, finished.data)
    return finished.entries
