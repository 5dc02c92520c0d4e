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

import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO

from bkctl.errors import RepositoryCorruptError, UsageError
from bkctl.restorer.repository import RestorerRepository

__all__ = ["ChunkReader", "StreamDamagedError", "restore_stream"]


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


class ChunkReader:
    """Loads a stream's chunks in order on a small pool; ``repo.load_blob`` does GCM and id checks.

    A stream goes out in order (a pipe has no offsets), so it is read chunk by chunk with a
    short prefetch window rather than in pack order.
    """

    def __init__(self, repo: RestorerRepository, workers: int | None = None) -> None:
        self._repo = repo
        count = workers or max(2, min(8, os.cpu_count() or 2))
        self._pool = ThreadPoolExecutor(count, thread_name_prefix="bkctl-restore")
        self._window = 2 * count

    def chunks(self, content: list[str]) -> Iterator[bytes]:
        pending: deque[Future[bytes]] = deque()
        try:
            for chunk in content:
                pending.append(self._pool.submit(self._repo.load_blob, bytes.fromhex(chunk)))
                if len(pending) >= self._window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
