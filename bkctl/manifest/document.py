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
    ``values`` where each value starts. Diagnostics use them to point into the file.
    """

    file: str
    data: Any
    keys: dict[NodePath, Location] = field(default_factory=dict)
    values: dict[NodePath, Location] = field(default_factory=dict)
