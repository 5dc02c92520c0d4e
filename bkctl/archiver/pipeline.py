"""The save pipeline: chunks go to a thread pool, results come back in order.

The main thread reads and cuts; workers hash, deduplicate, compress and seal (all GIL-
free C code). A window of at most ``2 x workers + 2`` chunks in flight bounds memory
(each chunk is at most 4 MiB) while keeping every core busy.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from bkctl.repo.blobs import SaveResult
from bkctl.repo.repository import Repository

__all__ = ["ChunkPipeline", "SaveCounters", "slot_setter"]


@dataclass
class SaveCounters:
    chunks: int = 0
    new_chunks: int = 0
    new_bytes: int = 0
    stored_bytes: int = 0


class ChunkPipeline:
    def __init__(self, repo: Repository, compression: int | None,
                 workers: int | None = None) -> None:
        self._repo = repo
        self._compression = compression
        count = workers or max(2, min(8, os.cpu_count() or 2))
        self._pool = ThreadPoolExecutor(count, thread_name_prefix="bkctl-save")
        self._window = 2 * count + 2
        self._inflight: deque[tuple[Future[SaveResult], int, Callable[[str], None]]] = deque()
        self.counters = SaveCounters()

    def submit(self, data: bytes, on_saved: Callable[[str], None]) -> None:
        """Save ``data`` as a data blob; ``on_saved(id_hex)`` runs later, in this thread."""
        future = self._pool.submit(self._repo.save_blob, "d", data, self._compression)
        self._inflight.append((future, len(data), on_saved))
        while len(self._inflight) > self._window:
            self._resolve_oldest()

    def drain(self) -> None:
        while self._inflight:
            self._resolve_oldest()

    def close(self) -> None:
        """Stop without resolving (after an error); queued saves are cancelled."""
        for future, _, _ in self._inflight:
            future.cancel()
        self._inflight.clear()
        self._pool.shutdown(wait=True)

    def _resolve_oldest(self) -> None:
        future, length, on_saved = self._inflight.popleft()
        result = future.result()
        self.counters.chunks += 1
        if result.new:
            self.counters.new_chunks += 1
            self.counters.new_bytes += length
            self.counters.stored_bytes += result.stored_length
        on_saved(result.blob_id.hex())


def slot_setter(content: list[str | None], position: int) -> Callable[[str], None]:
    """A callback filling ``content[position]`` with the saved chunk's id."""

    def set_id(blob_id: str) -> None:
        content[position] = blob_id

    return set_id
