"""One parsed manifest file: its plain data and where each key and value was written."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Location", "Document", "NodePath"]

NodePath = tuple[str | int, ...]
"""The path of a value, e.g. ``("workloads", "etc", "paths", 0)``."""


@dataclass(frozen=True)
class Location:
    """A 1-based position in a manifest file."""

    file: str
    line: int
    column: int


@dataclass
class Document:
    """Plain data (dicts, lists, str, int, float, bool, None) plus a side index of positions.

    ``keys`` holds where each mapping key was written (for a list item: the item itself);
    ``values`` where each value starts. An alias shares the objects of its anchored value
    (so the data is read-only) and is indexed once, at the alias: ``aliases`` maps its path to
    the anchored value's path, and ``position`` looks inside it through that map.
    """

    file: str
    data: Any
    keys: dict[NodePath, Location] = field(default_factory=dict)
    values: dict[NodePath, Location] = field(default_factory=dict)
    aliases: dict[NodePath, NodePath] = field(default_factory=dict)

    def position(self, path: NodePath, *, key: bool = False) -> Location:
        """Where ``path`` (or its nearest written ancestor) was written; its key's place if ``key``."""
        path = self._through_aliases(path)
        index = self.keys if key else self.values
        for cut in range(len(path), -1, -1):
            found = index.get(path[:cut]) or self.keys.get(path[:cut])
            if found is not None:
                return found
        return Location(self.file, 1, 1)

    def _through_aliases(self, path: NodePath) -> NodePath:
        """A path below an alias, rewritten into the anchored value it copies (nested aliases too).

        The alias itself keeps its own place: a wrong ``paths: *dirs`` is reported at the alias.
        Each rewrite moves to an anchor written earlier, so at most one per alias is needed.
        """
        for _ in range(len(self.aliases)):
            for cut in range(len(path) - 1, 0, -1):
                target = self.aliases.get(path[:cut])
                if target is not None:
                    path = (*target, *path[cut:])
                    break
            else:
                return path
        return path
