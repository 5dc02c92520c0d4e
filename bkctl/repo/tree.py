"""Trees: one blob per directory listing its entries' metadata (a Merkle tree).

A directory's tree names its subdirectories by their tree ids, so an unchanged subtree
encodes to the same bytes, gets the same id and is stored once. Encoding is canonical
compact JSON (sorted keys, no spaces) to make that true.

Node fields: ``name``, ``type`` (file, dir, symlink, fifo, chardev, blockdev), ``mode``
(permission bits), ``uid``, ``gid``, ``user``, ``group``, ``mtime_ns``, ``ctime_ns``,
``inode``, ``size``; files add ``content`` (chunk ids, hex) and optionally ``extents``
(``[[offset, length], ...]`` data regions of a sparse file; the chunks hold only those
regions, concatenated) and ``hardlink`` (``"dev:inode"`` when it has several links);
dirs add ``subtree``; symlinks ``target``; devices ``rdev``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.jsoncodec import canonical

__all__ = ["Node", "decode_tree", "encode_tree", "walk_tree"]

Node = dict[str, Any]


def encode_tree(nodes: list[Node]) -> bytes:
    ordered = sorted(nodes, key=lambda node: node["name"])
    return canonical({"version": 1, "nodes": ordered})


def decode_tree(data: bytes, tree_id: str) -> list[Node]:
    try:
        nodes = json.loads(data)["nodes"]  # not orjson: see jsoncodec.loads_bounded
    except (ValueError, KeyError, TypeError) as exc:
        raise RepositoryCorruptError(f"tree {tree_id} is unreadable: {exc}") from None
    for node in nodes:
        name = node.get("name")
        if not isinstance(name, str) or name in ("", ".", "..") or "/" in name or "\x00" in name:
            raise RepositoryCorruptError(f"tree {tree_id} holds an unsafe name {name!r}")
    return nodes


def walk_tree(load: Any, tree_id: str, prefix: str = "") -> Iterator[tuple[str, Node]]:
    """Yield ``(relative path, node)`` depth-first; ``load(tree_id) -> list[Node]``."""
    for node in load(tree_id):
        path = f"{prefix}{node['name']}"
        yield path, node
        if node["type"] == "dir" and node.get("subtree"):
            yield from walk_tree(load, node["subtree"], path + "/")
