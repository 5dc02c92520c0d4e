"""What changed between two points of one repository: added, removed, modified entries.

Read-only. Both points must live in the same repository: chunk and tree ids are keyed per
repository, so equal ids mean equal bytes only there. That is also what makes this
cheap: a folder whose tree id did not change is skipped whole (a Merkle tree), so two
points of a big, quiet file system compare in the time it takes to read the trees that
changed.

Kinds of change: ``added``, ``removed``, ``modified`` (a file's content, a symlink's
target or a device number), ``metadata`` (mode, owner, group or mtime only) and ``type``
(a file became a folder...; what was below the old folder is then ``removed``, what is
below the new one ``added``). Times other than mtime and inode numbers are ignored: they
change when a file is copied or restored, not when it is edited.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bkctl.repo.reachability import TreeLoader
from bkctl.repo.tree import Node

__all__ = ["Change", "CHANGE_KINDS", "changes"]

CHANGE_KINDS = ("added", "removed", "modified", "metadata", "type")
_CONTENT = ("size", "content", "extents", "target", "rdev")
_METADATA = ("mode", "uid", "gid", "user", "group", "mtime_ns")

Pair = tuple[str, Node | None, Node | None]


@dataclass(frozen=True)
class Change:
    """One entry that differs; ``old`` is None when added, ``new`` when removed."""

    kind: str
    path: str
    old: Node | None
    new: Node | None


def changes(repo: TreeLoader, old_root: str, new_root: str) -> Iterator[Change]:
    """Every change from ``old_root`` to ``new_root`` (root tree ids), depth-first by name."""
    stack = [_pairs(repo, old_root, new_root, "")]
    while stack:
        pair = next(stack[-1], None)
        if pair is None:
            stack.pop()
            continue
        path, old, new = pair
        kind = _kind(old, new)
        if kind is not None:
            yield Change(kind, path, old, new)
        old_tree, new_tree = _subtree(old), _subtree(new)
        if old_tree != new_tree:
            stack.append(_pairs(repo, old_tree, new_tree, path))


def _pairs(repo: TreeLoader, old_tree: str, new_tree: str, folder: str) -> Iterator[Pair]:
    """The entries of two folders side by side, by name (either tree may be "": none)."""
    old = {node["name"]: node for node in (repo.load_tree(old_tree) if old_tree else [])}
    new = {node["name"]: node for node in (repo.load_tree(new_tree) if new_tree else [])}
    for name in sorted(old.keys() | new.keys()):
        yield f"{folder}/{name}", old.get(name), new.get(name)


def _subtree(node: Node | None) -> str:
    return str(node.get("subtree") or "") if node is not None and node["type"] == "dir" else ""


def _kind(old: Node | None, new: Node | None) -> str | None:
    if old is None:
        return "added"
    if new is None:
        return "removed"
    if old["type"] != new["type"]:
        return "type"
    if any(old.get(field) != new.get(field) for field in _CONTENT):
        return "modified"
    if any(old.get(field) != new.get(field) for field in _METADATA):
        return "metadata"
    return None
