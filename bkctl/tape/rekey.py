"""The blobs of one repository point, re-keyed for tape: trees first, then data, each once.

Blob ids are keyed with each repository's own secret (and the tape library has its own),
so a point is re-keyed on its way to tape as :mod:`bkctl.repo.copy` re-keys a replica:
every id is recomputed from the plaintext with the library key and trees are rewritten
with the new ids. Because trees go on tape *before* the data they name (so a partial
restore reads the trees first), the new ids of all chunks are needed before the first
tree is written. Pass one (:func:`plan_blobs`) therefore reads each chunk once to hash it;
pass two (:func:`sealed_chunk`) re-seals the chunk's payload without decompressing or
recompressing it: blobs keep the compression they have in the source repository.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bkctl.repo.blobs import blob_associated_data
from bkctl.repo.crypto import MasterKey, compress
from bkctl.repo.repository import Repository
from bkctl.repo.tree import Node, encode_tree

__all__ = ["PointBlobs", "TREE_COMPRESSION", "plan_blobs", "rewrite_node", "sealed_chunk", "sealed_trees"]

TREE_COMPRESSION = 3
_WORKERS = min(4, os.cpu_count() or 1)  # blake3, AES and zstd release the GIL


@dataclass
class PointBlobs:
    """Source ids in tape order and their ids under the library key (hex -> bytes)."""

    trees: list[str] = field(default_factory=list)  # pre-order, root first
    chunks: list[str] = field(default_factory=list)  # first appearance in that walk
    tree_ids: dict[str, bytes] = field(default_factory=dict)
    chunk_ids: dict[str, bytes] = field(default_factory=dict)

    def root(self) -> str:
        return self.tree_ids[self.trees[0]].hex() if self.trees else ""


def plan_blobs(source: Repository, key: MasterKey, root: str) -> PointBlobs:
    """Pass one: walk the trees, hash every chunk with ``key``, then the rewritten trees bottom-up."""
    blobs = PointBlobs()
    if not root:
        return blobs
    seen_trees: set[str] = set()
    seen: set[str] = set()
    stack = [root]
    while stack:  # pre-order: a tree before its subtrees, subtrees in name order
        tree_id = stack.pop()
        if tree_id in seen_trees:
            continue
        seen_trees.add(tree_id)
        blobs.trees.append(tree_id)
        nodes = source.load_tree(tree_id)
        for chunk in (c for node in nodes for c in node.get("content", ())):
            if chunk not in seen:
                seen.add(chunk)
                blobs.chunks.append(chunk)
        stack.extend(reversed([n["subtree"] for n in nodes if n["type"] == "dir" and n.get("subtree")]))
    with ThreadPoolExecutor(_WORKERS) as pool:
        for chunk_id, tape_id in zip(blobs.chunks, pool.map(lambda c: _tape_id(source, key, c), blobs.chunks),
                                     strict=True):
            blobs.chunk_ids[chunk_id] = tape_id
    for tree_id in reversed(blobs.trees):  # children before parents
        blobs.tree_ids[tree_id] = key.blob_id(_tape_tree(source, blobs, tree_id))
    return blobs


def _tape_id(source: Repository, key: MasterKey, chunk_id: str) -> bytes:
    return key.blob_id(source.load_blob(bytes.fromhex(chunk_id), "d"))


def _tape_tree(source: Repository, blobs: PointBlobs, tree_id: str) -> bytes:
    nodes = source.load_tree(tree_id)
    return encode_tree([rewrite_node(n, blobs.chunk_ids, blobs.tree_ids) for n in nodes])


def rewrite_node(node: Node, chunks: Mapping[str, bytes | str], trees: Mapping[str, bytes | str]) -> Node:
    """A copy of ``node`` with chunk and subtree ids mapped (the source's node dicts are shared)."""
    mapped = dict(node)
    if node.get("content"):
        mapped["content"] = [_hex(chunks[c]) for c in node["content"]]
    if node.get("subtree"):
        mapped["subtree"] = _hex(trees[node["subtree"]])
    return mapped


def _hex(value: bytes | str) -> str:
    return value.hex() if isinstance(value, bytes) else value


def sealed_trees(source: Repository, key: MasterKey, blobs: PointBlobs) -> Iterator[tuple[bytes, bytes, int]]:
    """Pass two, trees: ``(tape id, sealed, raw length)`` in tape order."""
    for tree_id in blobs.trees:
        plain = _tape_tree(source, blobs, tree_id)
        tape_id = blobs.tree_ids[tree_id]
        yield tape_id, key.seal(compress(plain, TREE_COMPRESSION), blob_associated_data("t", tape_id)), len(plain)


def sealed_chunk(source: Repository, key: MasterKey, chunk_id: str, tape_id: bytes) -> tuple[bytes, int]:
    """Pass two, one chunk: its stored payload re-sealed under the library key, and its raw length."""
    raw_id = bytes.fromhex(chunk_id)
    entry = source.index.get(raw_id)
    stored = source.store.get_range(entry.pack, entry.offset, entry.length)
    payload = source.cipher.open_payload("d", raw_id, stored, f"blob {chunk_id}")
    return key.seal(payload, blob_associated_data("d", tape_id)), entry.raw_length
