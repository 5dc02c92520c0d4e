"""Restoring a stream point (one item) to a binary file object.

A stream has nothing else to restore, so damage stops it (unlike a files restore). What
can be known without reading the data is checked before the first byte is written:
every chunk must be in the index and every pack it lives in must exist. A lost pack, the
commonest damage, then fails before a database restore tool is even started. A chunk
that fails authentication can only be found by reading it; the error then says how many
bytes went out, and callers make sure that output does not look complete (``--to-file``
writes a temporary file renamed only when complete; ``--into`` stops the tool).
"""

from __future__ import annotations

from typing import BinaryIO

from bkctl.errors import RepositoryCorruptError, UsageError
from bkctl.restorer.content import ChunkReader
from bkctl.restorer.repository import RestorerRepository

__all__ = ["StreamDamagedError", "restore_stream"]


class StreamDamagedError(RepositoryCorruptError):
    """A stream point's data is damaged; ``written`` bytes went out before it was found."""

    reference = "stream-damaged"

    def __init__(self, message: str, *, written: int) -> None:
        super().__init__(message, hint="restore another point (--point, --target); "
                                       "`bkctl verify --read-data 100` names every affected point")
        self.written = written


def restore_stream(repo: RestorerRepository, point_id: str, out: BinaryIO) -> int:
    """Write the item of a stream point to ``out``; returns the number of bytes."""
    point = repo.get_point(point_id)
    if point.kind != "stream":
        raise UsageError(f"recovery point {point.id} holds files, not a stream",
                         hint="restore it to a directory instead")
    what = f"stream point {point.id[:8]}"
    try:
        nodes = repo.load_tree(point.root)
        repo.check_stored(bytes.fromhex(chunk) for node in nodes for chunk in node.get("content", []))
    except RepositoryCorruptError as exc:
        raise StreamDamagedError(f"{what} cannot be restored: {exc.message}; nothing was written",
                                 written=0) from None
    reader = ChunkReader(repo)
    total = 0
    try:
        for node in nodes:
            for data in reader.chunks(node.get("content", [])):
                out.write(data)
                total += len(data)
    except RepositoryCorruptError as exc:
        raise StreamDamagedError(f"{what} is damaged after {total:,} bytes: {exc.message}",
                                 written=total) from None
    finally:
        reader.close()
    return total
