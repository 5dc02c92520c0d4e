"""Comparing a restored folder with the point's own tree: the file check of a restore drill.

The restore itself authenticates every chunk it reads; this checks what landed on disk:
every entry of the point exists with its type, permission bits and size, symlinks point
where they pointed, and each file's bytes hash, chunk by chunk, to the ids the tree names
(keyed BLAKE3 over the chunk lengths the index records). Nothing is read twice from the
repository: the index gives the lengths, the key the hashes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from bkctl.repo.index import Index
from bkctl.repo.points import PointInfo
from bkctl.repo.tree import Node, walk_tree
from bkctl.restorer.layout import Layout

__all__ = ["Comparison", "compare_restored"]

_TYPES = {"file": stat.S_ISREG, "dir": stat.S_ISDIR, "symlink": stat.S_ISLNK, "fifo": stat.S_ISFIFO,
          "chardev": stat.S_ISCHR, "blockdev": stat.S_ISBLK}
MAX_DIFFERENCES = 20


class ComparedRepository(Protocol):
    """The few repository members a comparison needs."""

    @property
    def index(self) -> Index: ...

    def content_id(self, data: bytes, domain: str = "") -> bytes:
        """The chunk id of ``data`` in the point's dedup domain."""

    def get_point(self, point_id_or_unique_prefix: str) -> PointInfo: ...

    def load_tree(self, tree_id: str) -> list[Node]: ...



@dataclass
class Comparison:
    entries: int = 0
    files: int = 0
    bytes: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def differ(self, text: str) -> None:
        if len(self.differences) < MAX_DIFFERENCES:
            self.differences.append(text)


def compare_restored(repo: ComparedRepository, point_id: str, root: Path) -> Comparison:
    """Compare ``root`` (where the point was restored) with the point's tree."""
    point = repo.get_point(point_id)
    layout = Layout.of(point.paths)
    result = Comparison()
    for path, node in walk_tree(repo.load_tree, point.root):
        result.entries += 1
        _compare_entry(repo, root / path, path, node, result, metadata=not layout.intermediate(path),
                       domain=point.domain)
    return result


def _compare_entry(repo: ComparedRepository, where: Path, path: str, node: Node, result: Comparison, *,
                   metadata: bool, domain: str) -> None:
    """``metadata`` is false for folders that only lead to a backed-up root (restore gives them none)."""
    try:
        info = os.lstat(where)
    except FileNotFoundError:
        result.differ(f"{path}: missing")
        return
    if not _TYPES.get(node["type"], lambda mode: False)(info.st_mode):
        result.differ(f"{path}: not a {node['type']}")
        return
    if metadata and node["type"] != "symlink" and "mode" in node and stat.S_IMODE(info.st_mode) != node["mode"]:
        result.differ(f"{path}: permissions {oct(stat.S_IMODE(info.st_mode))}, point has {oct(node['mode'])}")
    if node["type"] == "symlink" and os.readlink(where) != node.get("target"):
        result.differ(f"{path}: symlink points elsewhere")
    if node["type"] == "file":
        result.files += 1
        result.bytes += info.st_size
        if info.st_size != node.get("size", 0):
            result.differ(f"{path}: {info.st_size} bytes, point has {node.get('size', 0)}")
        elif not _content_matches(repo, where, node, domain):
            result.differ(f"{path}: content differs from the point")


def _content_matches(repo: ComparedRepository, where: Path, node: Node, domain: str) -> bool:
    with open(where, "rb") as handle:
        stored = _StoredBytes(handle, node)
        for chunk_id in node.get("content", []):
            blob = bytes.fromhex(chunk_id)
            if repo.content_id(stored.read(repo.index.get(blob).raw_length), domain) != blob:
                return False
        return not stored.read(1)  # nothing beyond the named chunks


class _StoredBytes:
    """A file's stored bytes in order: the data extents of a sparse file, else all of it."""

    def __init__(self, handle: BinaryIO, node: Node) -> None:
        self._blocks = self._regions(handle, node.get("extents") or [[0, node.get("size", 0)]])
        self._buffer = b""

    @staticmethod
    def _regions(handle: BinaryIO, extents: list[list[int]]) -> Iterator[bytes]:
        for offset, length in extents:
            handle.seek(offset)
            left = length
            while left > 0:
                block = handle.read(min(left, 1 << 20))
                if not block:
                    return
                left -= len(block)
                yield block

    def read(self, size: int) -> bytes:
        """``size`` bytes, fewer at the end."""
        parts, have = [self._buffer], len(self._buffer)
        while have < size:
            block = next(self._blocks, b"")
            if not block:
                break
            parts.append(block)
            have += len(block)
        data = b"".join(parts)
        self._buffer = data[size:]
        return data[:size]
