"""Repairs an operator runs when ``verify`` names damaged metadata.

``repair_index``: the index is only a fast copy of what every pack's own header says, so
a damaged or lost index object is rebuilt from the headers (two ranged reads per pack).
Entries of a pack whose header is unreadable are kept from any intact index object that
still lists them. Under an exclusive lock: the old index objects are deleted only after
the rebuilt one is stored.

``repair_points``: a point document that fails authentication in the store may still be
intact in this machine's cache (every document is cached when written or read); it is
written back. Documents no copy can save are removed only when asked (``remove``): the
data they referenced becomes unreferenced and a later reclaim frees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.crashpoints import crash_point
from bkctl.repo.index import decode_index, encode_index, new_index_name
from bkctl.repo.pack import IndexEntry, read_pack_header
from bkctl.repo.repository import Repository

__all__ = ["IndexRepair", "PointsRepair", "remove_damaged_points", "repair_index", "repair_points"]


@dataclass
class IndexRepair:
    packs_indexed: int = 0
    blobs_indexed: int = 0
    objects_replaced: int = 0
    unreadable_packs: list[str] = field(default_factory=list)
    recovered_from_index: list[str] = field(default_factory=list)


@dataclass
class PointsRepair:
    restored: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unrecoverable: list[str] = field(default_factory=list)


def repair_index(repo: Repository) -> IndexRepair:
    """Rebuild the index from pack headers; see the module docstring."""
    result = IndexRepair()
    with repo.lock("exclusive"):
        old = sorted(repo.store.list("index/"))
        known = _intact_entries(repo, old)
        entries: list[tuple[bytes, IndexEntry]] = []
        for pack in sorted(repo.store.list("data/")):
            try:
                found = read_pack_header(repo.store, repo.key, pack)
            except RepositoryCorruptError:
                found = known.get(pack, [])
                (result.recovered_from_index if found else result.unreadable_packs).append(pack)
            entries.extend(found)
            result.packs_indexed += bool(found)
        if entries:
            repo.store.put(new_index_name(), encode_index(repo.key, entries))
        crash_point("repair-after-index")
        for name in old:
            repo.store.delete(name)
        result.blobs_indexed, result.objects_replaced = len(entries), len(old)
    repo.reload_index()
    return result


def _intact_entries(repo: Repository, names: list[str]) -> dict[str, list[tuple[bytes, IndexEntry]]]:
    """Entries per pack from every index object that still authenticates (cache or store)."""
    by_pack: dict[str, list[tuple[bytes, IndexEntry]]] = {}
    decoded = repo.load_objects("index/", lambda name, raw: decode_index(repo.key, name, raw), names=names)
    for items in decoded.values():
        for blob_id, entry in items:
            by_pack.setdefault(entry.pack, []).append((blob_id, entry))
    return by_pack


def repair_points(repo: Repository, *, remove: bool = False) -> PointsRepair:
    """Write back intact cached copies of damaged point documents; optionally remove the rest."""
    result = PointsRepair()
    with repo.lock("maintenance"):
        _read_store_points(repo)
        for point_id in repo.damaged_points():
            name = f"points/{point_id}"
            cached = repo.cache.get(name)
            if cached is not None and _authentic(repo, name, cached):
                repo.store.put(name, cached)
                result.restored.append(point_id)
            elif remove:
                repo.store.delete(name)
                repo.cache.delete(name)
                result.removed.append(point_id)
            else:
                result.unrecoverable.append(point_id)
        _read_store_points(repo)
    return result


def remove_damaged_points(repo: Repository, ids: list[str]) -> list[str]:
    """Delete the named point documents that fail authentication in the store (``bkctl forget``
    of a damaged id); an id that reads fine now is left alone. Returns the ids removed."""
    removed = []
    with repo.lock("maintenance"):
        _read_store_points(repo)
        damaged = set(repo.damaged_points())
        for point_id in ids:
            if point_id in damaged:
                repo.store.delete(f"points/{point_id}")
                repo.cache.delete(f"points/{point_id}")
                removed.append(point_id)
        _read_store_points(repo)
    return removed


def _read_store_points(repo: Repository) -> None:
    """Decode every point document from the store (not the cache) to find the damaged ones."""
    repo.load_objects("points/", repo.decode_point, trust_cache=False)


def _authentic(repo: Repository, name: str, raw: bytes) -> bool:
    try:
        repo.decode_point(name, raw)
    except RepositoryCorruptError:
        return False
    return True
