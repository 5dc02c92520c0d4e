"""Restoring a stream point (one item) to a binary file object."""

from __future__ import annotations

from typing import BinaryIO

from bkctl.errors import UsageError
from bkctl.restorer.content import ChunkReader
from bkctl.restorer.repository import RestorerRepository

__all__ = ["restore_stream"]


def restore_stream(repo: RestorerRepository, point_id: str, out: BinaryIO) -> int:
    """Write the item of a stream point to ``out``; returns the number of bytes."""
    point = repo.get_point(point_id)
    if point.kind != "stream":
        raise UsageError(f"recovery point {point.id} holds files, not a stream",
                         hint="restore it to a directory instead")
    nodes = repo.load_tree(point.root)
    reader = ChunkReader(repo)
    total = 0
    try:
        for node in nodes:
            for data in reader.chunks(node.get("content", [])):
                out.write(data)
                total += len(data)
    finally:
        reader.close()
    return total
