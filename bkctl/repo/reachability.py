"""Which blobs the recovery points reference: the input of reclaim and verify."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from bkctl.repo.points import PointInfo
from bkctl.repo.tree import Node

__all__ = ["TreeLoader", "point_nodes", "used_blobs"]


class TreeLoader(Protocol):
    """All these walks need: the archiver and maintenance pass their repository as one."""

    def load_tree(self, tree_id: str) -> list[Node]: ...


def point_nodes(repo: TreeLoader, root: str) -> Iterator[tuple[str, Node]]:
    """``(path, node)`` of every entry below root tree ``root``; load errors propagate."""
    stack = [(root, "")]
    while stack:
        tree_id, prefix = stack.pop()
        for node in repo.load_tree(tree_id):
            path = prefix + node["name"]
            yield path, node
            subtree = node.get("subtree")
            if node["type"] == "dir" and subtree:
                stack.append((subtree, path + "/"))


def used_blobs(repo: TreeLoader, points: list[PointInfo]) -> set[bytes]:
    """Ids of every tree and chunk reachable from ``points`` (shared subtrees once)."""
    used: set[bytes] = set()
    pending = [point.root for point in points if point.root]
    while pending:
        tree_id = pending.pop()
        raw_id = bytes.fromhex(tree_id)
        if raw_id in used:
            continue
        used.add(raw_id)
        for node in repo.load_tree(tree_id):
            used.update(bytes.fromhex(chunk) for chunk in node.get("content", ()))
            if node.get("subtree"):
                pending.append(node["subtree"])
    return used
