"""Fetching a file's chunks (authenticated, id-checked) in order with a few in flight."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from bkctl.repo.tree import Node
from bkctl.restorer.repository import RestorerRepository

__all__ = ["ChunkReader", "write_content"]


class ChunkReader:
    """Loads chunks on a small pool; ``repo.load_blob`` does GCM and id checks."""

    def __init__(self, repo: RestorerRepository, workers: int | None = None) -> None:
        self._repo = repo
        count = workers or max(2, min(8, os.cpu_count() or 2))
        self._pool = ThreadPoolExecutor(count, thread_name_prefix="bkctl-restore")
        self._window = 2 * count

    def chunks(self, content: list[str]) -> Iterator[bytes]:
        pending: deque[Future[bytes]] = deque()
        ids = iter(content)
        try:
            for chunk in ids:
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


def write_content(fd: int, node: Node, chunks: Iterable[bytes]) -> int:
    """Write a file's data; sparse files get their extents written and holes left as holes."""
    extents = [tuple(extent) for extent in node.get("extents") or []]
    written = 0
    if "extents" not in node:
        for data in chunks:
            _write_all(fd, data, None)
            written += len(data)
    else:
        for data in chunks:
            view = memoryview(data)
            while view and extents:
                offset, length = extents[0]
                part = view[:length]
                _write_all(fd, part, offset)
                extents[0] = (offset + len(part), length - len(part))
                if extents[0][1] == 0:
                    extents.pop(0)
                view = view[len(part):]
                written += len(part)
    os.ftruncate(fd, int(node.get("size", written)))
    return written


def _write_all(fd: int, data: bytes | memoryview, offset: int | None) -> None:
    view = memoryview(data)
    while view:
        count = os.write(fd, view) if offset is None else os.pwrite(fd, view, offset)
        view = view[count:]
        if offset is not None:
            offset += count
