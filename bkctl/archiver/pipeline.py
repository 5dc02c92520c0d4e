"""The save pipeline: chunks go to a thread pool, results come back in order.

The main thread reads and cuts; workers hash, deduplicate, compress and seal (all GIL-
free C code). The window bounds the bytes of chunks in flight (``WINDOW_BYTES``), not
their count, so memory stays bounded whatever the chunk sizes; a count limit still
applies to small-file jobs, which carry no chunk bytes here.
"""

from __future__ import annotations

import errno
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from bkctl.archiver.repository import ArchiverRepository
from bkctl.errors import BkctlError, StorageFullError
from bkctl.repo.blobs import SaveResult

__all__ = ["ChunkPipeline", "SaveCounters", "WINDOW_BYTES", "slot_setter"]

WINDOW_BYTES = 8 << 20  # chunk bytes in flight: a few chunks per worker keep cores busy
WINDOW_JOBS_PER_WORKER = 4  # jobs in flight per worker (plus 4): small-file jobs are tiny

T = TypeVar("T")


@dataclass
class SaveCounters:
    chunks: int = 0
    new_chunks: int = 0
    new_bytes: int = 0
    stored_bytes: int = 0


class ChunkPipeline:
    def __init__(self, repo: ArchiverRepository, compression: int | None,
                 workers: int | None = None) -> None:
        self._repo = repo
        self._compression = compression
        count = workers or max(2, min(8, os.cpu_count() or 2))
        self._pool = ThreadPoolExecutor(count, thread_name_prefix="bkctl-save")
        self._window = WINDOW_JOBS_PER_WORKER * count + 4
        # (cancel, resolve, chunk bytes) per job: resolving runs its callback in this thread
        self._inflight: deque[tuple[Callable[[], bool], Callable[[], None], int]] = deque()
        self._inflight_bytes = 0
        self.submitted = 0  # jobs and chunks handed to the pool so far
        self.resolved = 0  # ... and resolved, in the same order: every one up to it is done
        self.counters = SaveCounters()

    def submit(self, data: bytes | memoryview, on_saved: Callable[[str], None]) -> None:
        """Save ``data`` as a data blob; ``on_saved(id_hex)`` runs later, in this thread."""
        future = self._pool.submit(self.save, data)
        self._push(future.cancel, partial(self._chunk_saved, len(data), on_saved, future), len(data))

    def submit_job(self, job: Callable[[], T], on_done: Callable[[Future[T]], None]) -> None:
        """Run ``job`` on a worker (it may call :meth:`save`); ``on_done(future)`` here."""
        future = self._pool.submit(job)
        self._push(future.cancel, partial(on_done, future))

    def save(self, data: bytes | memoryview) -> SaveResult:
        return self._repo.save_blob("d", data, self._compression)

    def save_many(self, datas: list[bytes]) -> list[SaveResult]:
        return self._repo.save_blobs("d", datas, self._compression)

    def record(self, result: SaveResult, length: int) -> None:
        self.counters.chunks += 1
        if result.new:
            self.counters.new_chunks += 1
            self.counters.new_bytes += length
            self.counters.stored_bytes += result.stored_length

    def drain(self) -> None:
        while self._inflight:
            self._resolve_oldest()

    def close(self) -> None:
        """Stop without resolving (after an error); queued saves are cancelled."""
        for cancel, _, _ in self._inflight:
            cancel()
        self._inflight.clear()
        self._pool.shutdown(wait=True)

    def _push(self, cancel: Callable[[], bool], resolve: Callable[[], None], length: int = 0) -> None:
        self.submitted += 1
        self._inflight.append((cancel, resolve, length))
        self._inflight_bytes += length
        while len(self._inflight) > self._window or self._inflight_bytes > WINDOW_BYTES:
            self._resolve_oldest()

    def _resolve_oldest(self) -> None:
        _, resolve, length = self._inflight.popleft()
        self._inflight_bytes -= length
        try:
            resolve()
        except OSError as error:
            # A save failed (the spool folder, the store): the backup must stop. Left an
            # OSError, it would reach the walk's handlers for unreadable source files,
            # which skip the file being read and carry on with the failed saves' files
            # empty. Read errors of small files come back as outcomes, never raised here.
            kind = StorageFullError if error.errno in (errno.ENOSPC, errno.EDQUOT) else BkctlError
            raise kind(f"saving data failed: {error.strerror or error}",
                       hint="check the temporary folder (TMPDIR) and the target's storage") from error
        self.resolved += 1

    def _chunk_saved(self, length: int, on_saved: Callable[[str], None],
                     future: Future[SaveResult]) -> None:
        result = future.result()
        self.record(result, length)
        on_saved(result.blob_id.hex())


def slot_setter(content: list[str | None], position: int) -> Callable[[str], None]:
    """A callback filling ``content[position]`` with the saved chunk's id."""

    def set_id(blob_id: str) -> None:
        content[position] = blob_id

    return set_id
