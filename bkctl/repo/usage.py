"""What a repository really stores, and how much of it the points use (``bkctl stats``).

Read-only. Three kinds of figure, never mixed up:

- *stored*: bytes of the objects in the store, from the store's own sizes (what the disk
  or the bill counts): ``stored_bytes`` for everything but the locks of running
  processes, ``pack_bytes`` for the data packs;
- *referenced*: the distinct chunks and trees the readable points use, walked from their
  trees: ``data_bytes`` as plaintext (the data after deduplication, before compression)
  and ``data_stored_bytes`` as sealed in the packs (after compression and encryption);
- *waiting*: sealed blob bytes no point uses outside marked packs (``unreferenced_bytes``,
  second copies included: the next reclaim marks or repacks them) and the packs an
  earlier reclaim marked (``marked_bytes``: a later reclaim deletes them).

A store is asked for each object's size: one stat per object on a disk, one request on
an object store. The walk reads every distinct tree once, as a reclaim does.
"""

from __future__ import annotations

from dataclasses import dataclass

from bkctl.errors import NotFoundError
from bkctl.repo.points import PointInfo
from bkctl.repo.reachability import used_blobs
from bkctl.repo.repository import Repository
from bkctl.store.base import BlobStore

__all__ = ["Usage", "storage_usage"]


@dataclass(frozen=True)
class Usage:
    stored_bytes: int
    objects: int
    pack_bytes: int
    packs: int
    data_bytes: int
    data_stored_bytes: int
    tree_stored_bytes: int
    unreferenced_bytes: int
    marked_bytes: int


def storage_usage(repo: Repository, points: list[PointInfo]) -> Usage:
    """The figures above for ``points`` (the caller lists them, under the lock it holds)."""
    sizes = _sizes(repo.store)
    packs = {name: size for name, size in sizes.items() if name.startswith("data/")}
    index = repo.refresh_index()
    used = used_blobs(repo, points)
    data_raw = data_sealed = tree_sealed = unused = 0
    for pack, entries in index.by_pack().items():
        for blob_id, entry in entries:
            if blob_id not in used or index.preferred(blob_id) != entry:
                unused += 0 if pack in index.marked else entry.length  # a second copy is unused too
            elif entry.kind == "d":
                data_raw += entry.raw_length
                data_sealed += entry.length
            else:
                tree_sealed += entry.length
    return Usage(stored_bytes=sum(sizes.values()), objects=len(sizes), pack_bytes=sum(packs.values()),
                 packs=len(packs), data_bytes=data_raw, data_stored_bytes=data_sealed,
                 tree_stored_bytes=tree_sealed, unreferenced_bytes=unused, marked_bytes=repo.marks.bytes)


def _sizes(store: BlobStore) -> dict[str, int]:
    """Every object's size but the locks (running processes, this one's included, not data);
    an object deleted meanwhile (by a reclaim) is left out."""
    sizes: dict[str, int] = {}
    for name in store.list(""):
        if name.startswith("locks/"):
            continue
        try:
            sizes[name] = store.size(name)
        except NotFoundError:
            continue
    return sizes
