"""Reading a point's trees without restoring it: one entry by path, a folder, everything below.

Read-only. A path names an entry by its place in the point, ``/``-separated and absolute
(``/etc/hosts``; a stream point's item is ``/NAME``); the point's root is ``/``. Walks use
an explicit stack, never recursion, so a point thousands of folders deep lists like a flat
one (the same reason as the restorer's walk). Entries come depth-first in name order: a
folder, then what is inside it.
"""

from __future__ import annotations

from collections.abc import Iterator

from bkctl.errors import NotFoundError, UsageError
from bkctl.repo.reachability import TreeLoader
from bkctl.repo.tree import Node

__all__ = ["root_node", "split_path", "lookup", "children", "entries_below"]


def root_node(root: str) -> Node:
    """The point's root as a folder node (a point stores no node for it)."""
    return {"name": "", "type": "dir", "mode": 0o755, "subtree": root, "size": 0}


def split_path(path: str) -> list[str]:
    """``/etc//hosts/`` -> ``["etc", "hosts"]``; ``.`` and ``..`` are refused, not resolved."""
    parts = [part for part in path.split("/") if part]
    if any(part in (".", "..") for part in parts):
        raise UsageError(f"path {path!r} has a '.' or '..' segment",
                         hint="give the path as the point stores it, e.g. /etc/hosts")
    return parts


def lookup(repo: TreeLoader, root: str, path: str) -> Node:
    """The node at ``path`` (the root folder for ``/``); NotFoundError naming what is missing."""
    node = root_node(root)
    walked = ""
    for name in split_path(path):
        if node["type"] != "dir":
            raise NotFoundError(f"{walked} is a {node['type']}, not a folder: no {path} in the point")
        found = next((child for child in children(repo, node) if child["name"] == name), None)
        if found is None:
            raise NotFoundError(f"no {walked}/{name} in the point",
                                hint="list the point's entries with `bkctl ls`")
        node, walked = found, f"{walked}/{name}"
    return node


def children(repo: TreeLoader, node: Node) -> list[Node]:
    """A folder's entries in name order (none for an empty one); load errors propagate."""
    subtree = node.get("subtree")
    return repo.load_tree(subtree) if node["type"] == "dir" and subtree else []


def entries_below(repo: TreeLoader, root: str, path: str = "/", *,
                  recursive: bool = True) -> Iterator[tuple[str, Node]]:
    """``(path, node)`` of what lies below ``path``: a folder's entries (all levels when
    ``recursive``), or the entry itself when ``path`` is not a folder."""
    start = lookup(repo, root, path)
    prefix = "/" + "/".join(split_path(path))
    if start["type"] != "dir":
        yield prefix, start
        return
    base = prefix.rstrip("/")
    stack = [(base, iter(children(repo, start)))]
    while stack:
        folder, pending = stack[-1]
        node = next(pending, None)
        if node is None:
            stack.pop()
            continue
        here = f"{folder}/{node['name']}"
        yield here, node
        if recursive and node["type"] == "dir":
            stack.append((here, iter(children(repo, node))))
