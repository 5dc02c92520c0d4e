"""Recovery points built directly with the repository API, for shapes the archiver cannot make.

The archiver walks recursively and stops near 330 levels, so a point nested thousands of
directories deep (hostile, or from another tool) is written here tree by tree, deepest
first, exactly as the archiver would store it: encoded trees saved as ``t`` blobs, then
the point document last.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from bkctl.repo import Repository
from bkctl.repo.points import PointInfo
from bkctl.repo.tree import Node, encode_tree
from bkctl.store import LocalStore

MTIME_NS = 1_500_000_000_000_000_000


def save_tree(repo: Repository, nodes: list[Node]) -> str:
    return repo.save_blob("t", encode_tree(nodes), None).blob_id.hex()


def commit_deep_point(repo: Repository, depth: int, *, name: str = "d", leaf: bytes = b"deep leaf\n",
                      workload: str = "w", host: str = "h") -> PointInfo:
    """A point whose root holds ``name/name/.../name/leaf.txt`` with ``depth`` directories."""
    with repo.session():
        blob = repo.save_blob("d", leaf, None).blob_id.hex()
        tree = save_tree(repo, [{"name": "leaf.txt", "type": "file", "mode": 0o640, "size": len(leaf),
                                 "mtime_ns": MTIME_NS, "content": [blob]}])
        for level in range(depth):
            tree = save_tree(repo, [{"name": name, "type": "dir", "mode": 0o750,
                                     "mtime_ns": MTIME_NS + level, "subtree": tree}])
        repo.flush()
        point = PointInfo(id=secrets.token_hex(16), workload=workload, host=host, time=datetime.now(UTC),
                          partial=False, stats={}, meta={}, kind="files", root=tree, paths=[f"/{name}"])
        repo.commit_point(point)
    return point


def pack_of(repo: Repository, blob_id: str) -> Path:
    """The file of the pack holding ``blob_id`` in a LocalStore repository."""
    entry = repo.index.get(bytes.fromhex(blob_id))
    store = repo.store
    assert isinstance(store, LocalStore)
    return Path(store.root, *entry.pack.split("/"))


def flip_blob(repo: Repository, blob_id: str) -> None:
    """Flip one byte in the middle of a stored blob: it then fails authentication."""
    entry = repo.index.get(bytes.fromhex(blob_id))
    pack = pack_of(repo, blob_id)
    data = bytearray(pack.read_bytes())
    data[entry.offset + entry.length // 2] ^= 0x01
    pack.write_bytes(bytes(data))


def remove_deep_tree(top: Path) -> None:
    """Remove a folder of any depth in linear time.

    shutil.rmtree recurses (it stops near 1,000 levels) and any path-based removal of a
    chain N deep costs N^2 path lookups; here every folder is first moved up to just
    below ``top``, so each step works on a short path.
    """
    pending = [str(top)]
    moved = 0
    while pending:
        folder = pending.pop()
        with os.scandir(folder) as entries:
            children = list(entries)
        for entry in children:
            if entry.is_dir(follow_symlinks=False):
                moved += 1
                flat = os.path.join(top, f".flat-{moved}")
                os.rename(entry.path, flat)
                pending.append(flat)
            else:
                os.unlink(entry.path)
        if folder != str(top):
            os.rmdir(folder)
    os.rmdir(top)
