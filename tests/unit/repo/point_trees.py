"""Building points by hand for the read-only engine tests: exact chunks, extents and folders."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from bkctl.repo import PointInfo, Repository
from bkctl.repo.tree import Node, encode_tree

__all__ = ["file_node", "folder_node", "commit_tree", "save_tree"]


def file_node(repo: Repository, name: str, chunks: list[bytes], *, size: int | None = None,
              extents: list[tuple[int, int]] | None = None, mode: int = 0o644, mtime_ns: int = 0) -> Node:
    """A file whose content is exactly ``chunks`` (each stored as one data blob)."""
    ids = [repo.save_blob("d", chunk, 3).blob_id.hex() for chunk in chunks]
    node: Node = {"name": name, "type": "file", "mode": mode, "uid": 0, "gid": 0, "user": "root", "group": "root",
                  "mtime_ns": mtime_ns, "size": sum(map(len, chunks)) if size is None else size, "content": ids}
    if extents is not None:
        node["extents"] = [list(extent) for extent in extents]
    return node


def save_tree(repo: Repository, nodes: list[Node]) -> str:
    return repo.save_blob("t", encode_tree(nodes), 3).blob_id.hex()


def folder_node(repo: Repository, name: str, nodes: list[Node], *, mode: int = 0o755) -> Node:
    return {"name": name, "type": "dir", "mode": mode, "uid": 0, "gid": 0, "user": "root", "group": "root",
            "mtime_ns": 0, "size": 0, "subtree": save_tree(repo, nodes)}


def commit_tree(repo: Repository, nodes: list[Node], *, workload: str = "w") -> PointInfo:
    """Store the root folder ``nodes`` and commit a files point for it."""
    with repo.session():
        root = save_tree(repo, nodes)
        repo.flush()
        point = PointInfo(id=secrets.token_hex(16), workload=workload, host="h", time=datetime.now(UTC),
                          partial=False, stats={}, meta={}, kind="files", root=root, paths=["/"])
        repo.commit_point(point)
    return point
