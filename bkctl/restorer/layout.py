"""Which directories of a point were backed up, and which only lead to what was.

A files point stores each backed-up root at its absolute location: backing up
``/tmp/src`` stores ``tmp`` (with the metadata of ``/tmp``: mode 1777, root's mtime) and
below it ``tmp/src``. ``tmp`` is an *intermediate* directory: it is in the point only
as the way to ``src``. Restore creates intermediate directories when they are missing,
with default permissions, and never gives them the stored metadata: copying ``/tmp``'s
1777 onto ``/restored/tmp`` would make a world-writable folder nobody asked for.

Exactly: a directory is intermediate when it is a strict ancestor of one of the paths
the point records (``PointInfo.paths``) and is not itself at or below any of them
(backing up ``/a`` and ``/a/b`` makes ``a`` a backed-up root, not intermediate). A point
that records no paths has no intermediate directories.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Layout"]


@dataclass(frozen=True)
class Layout:
    """The stored roots of a point (``tmp/src``; ``""`` for ``/``) and their ancestors."""

    roots: frozenset[str]
    intermediates: frozenset[str]

    @classmethod
    def of(cls, paths: Iterable[str]) -> Layout:
        """Build from ``PointInfo.paths`` (absolute paths, or a stream's item name)."""
        roots = frozenset(_stored(path) for path in paths)
        ancestors = {parent for root in roots for parent in _ancestors(root)}
        return cls(roots, frozenset(a for a in ancestors if not _below_a_root(a, roots)))

    def intermediate(self, stored: str) -> bool:
        """Whether the directory at ``stored`` (no leading or trailing slash) only leads to a root."""
        return stored in self.intermediates

    def root(self, stored: str) -> bool:
        return stored in self.roots


def _stored(path: str) -> str:
    """``/tmp/./src/`` -> ``tmp/src``, as the archiver names it (it uses os.path.abspath)."""
    normal = os.path.normpath(path).lstrip("/")
    return "" if normal == "." else normal


def _ancestors(stored: str) -> list[str]:
    parts = stored.split("/") if stored else []
    return ["/".join(parts[:count]) for count in range(1, len(parts))]


def _below_a_root(stored: str, roots: frozenset[str]) -> bool:
    return any(root == "" or stored == root or stored.startswith(root + "/") for root in roots)
