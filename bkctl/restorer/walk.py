"""Walking a point's trees into a target folder without recursion.

A recursive walk needs two Python frames per level and stops with RecursionError near
500 levels; a crafted or merely deep point must not crash restore. Here an explicit
stack holds one :class:`Frame` per open directory (its remaining entries), so depth costs
a few hundred bytes per level and nothing else.

The walk creates directories and decides what the include patterns select; what to do
with each entry, each directory listing and each finished directory is the visitor's.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bkctl.errors import BkctlError
from bkctl.repo.tree import Node

if TYPE_CHECKING:
    from pathspec import PathSpec

__all__ = ["Frame", "Visitor", "walk"]


@dataclass
class Frame:
    """One open directory: the entries still to visit, and what closing it needs to know."""

    path: str  # where it is restored
    stored: str  # its path in the point, without slashes at either end ("" for the point's root)
    nodes: Iterator[Node]
    node: Node | None  # its own node; None for the point's root (the target folder)
    spec: PathSpec | None  # patterns still in force below it; None selects everything
    created: bool  # made by this restore (so it may be removed again when left empty)
    restored: int = 0  # entries restored below it


class Visitor(Protocol):
    target: Path
    spec: PathSpec | None

    def load(self, tree_id: str, path: str, stored: str) -> list[Node] | None:
        """A directory's entries, or None when its listing cannot be read (and that was reported)."""

    def matched(self) -> None:
        """The include patterns selected one more entry."""

    def entry(self, node: Node, path: str, stored: str) -> int:
        """Restore a non-directory entry; returns 1 when it was restored, else 0."""

    def closed(self, frame: Frame) -> int:
        """Everything below ``frame`` is done; returns what it counts for its parent."""


def walk(visitor: Visitor, root_tree: str) -> None:
    """Visit every entry of the tree ``root_tree`` depth-first, restoring below ``visitor.target``."""
    top = _open(visitor, root_tree, str(visitor.target), "", None, visitor.spec, created=False)
    stack = [top] if top is not None else []
    while stack:
        frame = stack[-1]
        node = next(frame.nodes, None)
        if node is None:
            stack.pop()
            restored = visitor.closed(frame)
            if stack:
                stack[-1].restored += restored
        elif node["type"] == "dir":
            child = _enter(visitor, frame, node)
            if child is not None:
                stack.append(child)
        else:
            frame.restored += _select(visitor, frame, node)


def _enter(visitor: Visitor, frame: Frame, node: Node) -> Frame | None:
    path, stored = _child(frame, node)
    created = _make_folder(path)
    spec = frame.spec
    if spec is not None and spec.match_file(stored + "/"):
        spec = None  # the whole directory is selected
        visitor.matched()
    return _open(visitor, node.get("subtree") or "", path, stored, node, spec, created=created)


def _make_folder(path: str) -> bool:
    """Create ``path`` unless it is a folder already (True when created); never through a symlink.

    mkdir first and lstat only when it exists: each call resolves the whole path, which
    in a point thousands of levels deep costs more than everything else.
    """
    try:
        os.mkdir(path)
        return True
    except FileExistsError:
        found = os.lstat(path).st_mode
    if stat.S_ISLNK(found):
        raise BkctlError(f"refusing to restore through the symlink {path}")
    if not stat.S_ISDIR(found):
        raise BkctlError(f"cannot restore the folder {path}: something else exists there",
                         hint="move it away, or restore into another folder")
    return False


def _open(visitor: Visitor, tree_id: str, path: str, stored: str, node: Node | None,
          spec: PathSpec | None, *, created: bool) -> Frame | None:
    nodes = visitor.load(tree_id, path, stored) if tree_id else []
    if nodes is None:
        if created:
            os.rmdir(path)  # nothing restorable below it: do not leave an empty look-alike
        return None
    return Frame(path, stored, iter(nodes), node, spec, created)


def _select(visitor: Visitor, frame: Frame, node: Node) -> int:
    path, stored = _child(frame, node)
    if frame.spec is not None:
        if not frame.spec.match_file(stored):
            return 0
        visitor.matched()
    return visitor.entry(node, path, stored)


def _child(frame: Frame, node: Node) -> tuple[str, str]:
    name = node["name"]
    return os.path.join(frame.path, name), f"{frame.stored}/{name}" if frame.stored else name
