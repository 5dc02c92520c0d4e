"""Filling restored files in pack order: each pack read once, its blobs written wherever they belong.

The walk hands each file over; files are gathered into batches (``BATCH_FILES`` files or
``BATCH_BYTES`` of content), a batch's chunks are grouped by the pack that holds them,
and each pack becomes one job on a small pool. A job creates the files it is the first
to touch, reads its pack in a few ranged reads, decodes every blob once (AES-GCM, zstd
and BLAKE3 release the GIL), ``pwrite``s it at every place it appears in any file of the
batch (a chunk repeated within or across files is read and decoded once), and completes
the files it is the last job of. Before this, every chunk was a task and every small
file another; the thread hand-offs cost more than the work (docs/performance.md, "Restore").

Bounds: at most ``OPEN_FILES`` files are handed over and not yet reported, at most
``2 * workers`` jobs are queued or running, and a running job holds one ranged read
(``RUN_BYTES``) and the blob it decodes.

A file any of whose chunks is damaged is removed, never left partly written; so is every
file not complete when the restore stops on an error that is not damage (a full disk).
With ``replace`` the content is written under a temporary name and renamed over the
local file only when complete.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.file_content import pieces
from bkctl.repo.pack import IndexEntry
from bkctl.repo.tree import Node
from bkctl.restorer.metadata import apply_file_metadata
from bkctl.restorer.repository import RestorerRepository

__all__ = ["BATCH_BYTES", "BATCH_FILES", "OPEN_FILES", "ContentWriter", "partial_name"]

BATCH_FILES = 64  # small files per batch: one job then decodes ~64 neighbouring blobs
BATCH_BYTES = 32 << 20  # or this much content: a big file's packs spread over the pool at once
OPEN_FILES = 256  # descriptors held by files being filled (the default soft limit is 1024)


class OpenFile:
    """A file being filled: where it is written, and how many jobs still write into it."""

    __slots__ = ("complete", "error", "fd", "jobs", "length", "node", "path", "replace", "skipped", "stored",
                 "written_path")

    def __init__(self, path: str, stored: str, node: Node, replace: bool) -> None:
        self.path, self.stored, self.node, self.replace = path, stored, node, replace
        self.written_path = partial_name(path) if replace else path
        self.fd = -1  # created by the first job that runs for it
        self.skipped = False  # it existed (and ``replace`` is off): left alone
        self.complete = False
        self.jobs = 0
        self.length = 0  # content bytes (holes of a sparse file not counted)
        self.error: RepositoryCorruptError | None = None


Target = tuple[OpenFile, int, int, int]  # file, offset in it, start in the blob, length


class PackJob:
    """Every blob a batch needs from one pack, each with the places it is written to."""

    __slots__ = ("blobs", "files", "pack")

    def __init__(self, pack: str) -> None:
        self.pack = pack
        self.blobs: dict[bytes, tuple[IndexEntry, list[Target]]] = {}
        self.files: list[OpenFile] = []

    def place(self, file: OpenFile, blob_id: bytes, entry: IndexEntry, target: Target) -> None:
        wanted = self.blobs.get(blob_id)
        if wanted is None:
            self.blobs[blob_id] = (entry, [target])
        else:
            wanted[1].append(target)
        if not self.files or self.files[-1] is not file:  # a file's chunks are placed together
            self.files.append(file)


Finished = Callable[[OpenFile], None]
Outcome = list[OpenFile]  # files a job completed (written, damaged or skipped)


class ContentWriter:
    """Fills files in pack order and reports each one written, damaged or left alone.

    Jobs create their files (the first job of a file does) and complete them (its last
    job does): the walk's thread only plans, so it never waits for the file system. One
    lock serialises creations: two threads creating in one folder make the kernel spin
    on the folder's lock, which burned a core when the walk and the pool both created.
    """

    def __init__(self, repo: RestorerRepository, *, written: Finished, damaged: Finished, skipped: Finished,
                 workers: int | None = None) -> None:
        self._repo, self._written, self._damaged, self._skipped = repo, written, damaged, skipped
        count = workers or max(2, min(8, os.cpu_count() or 2))
        self._pool = ThreadPoolExecutor(count, thread_name_prefix="bkctl-restore")
        self._jobs_in_flight = 2 * count
        self._batch: dict[str, PackJob] = {}
        self._batch_files = self._batch_bytes = 0
        self._running: deque[Future[tuple[Outcome, BaseException | None]]] = deque()
        self._open: set[OpenFile] = set()  # handed over and not yet reported
        self._lock = threading.Lock()  # creations, and the job counts and errors of files

    def create(self, path: str, stored: str, node: Node, *, replace: bool) -> None:
        """Queue one file. With ``replace`` its content goes to a short temporary name beside
        ``path``, renamed over it only when complete: a damaged stored copy never costs the local file.
        """
        while len(self._open) >= OPEN_FILES and (self._batch or self._running):
            self._flush()
            self._resolve_oldest()
        file = OpenFile(path, stored, node, replace)
        self._open.add(file)
        if not self._place(file):  # no content (or its first chunk is not indexed): done now
            self._report(self._settle([file], []))
        elif self._batch_files >= BATCH_FILES or self._batch_bytes >= BATCH_BYTES:
            self._flush()

    def finish(self) -> None:
        """Fill every queued file; returns once each one is reported."""
        self._flush()
        while self._running:
            self._resolve_oldest()

    def close(self) -> None:
        """Stop: drop queued work and remove every file not complete (after an error)."""
        for future in self._running:
            future.cancel()
        self._pool.shutdown(wait=True)
        self._running.clear()
        for file in list(self._open):
            if not file.complete:
                self._discard(file)
        self._open.clear()

    # -- planning ---------------------------------------------------------------------------
    def _place(self, file: OpenFile) -> int:
        """Add the file's chunks to the batch; returns how many were placed.

        A chunk missing from the index damages the file; the chunks placed before it are
        still filled (and the file then removed) so that the job counts stay true.
        """
        placed = 0
        try:
            for blob_id, entry, target in self._targets(file):
                self._job(entry.pack).place(file, blob_id, entry, target)
                file.length += target[3]
                placed += 1
        except RepositoryCorruptError as exc:
            file.error = exc
        if placed:
            self._batch_files += 1
            self._batch_bytes += file.length
        return placed

    def _targets(self, file: OpenFile) -> Iterator[tuple[bytes, IndexEntry, Target]]:
        """Each chunk of the file with where it lands; a sparse file's chunks lie over its extents."""
        node, index = file.node, self._repo.index
        if "extents" in node:
            for piece in pieces(index, node):
                yield piece.chunk, index.get(piece.chunk), (file, piece.offset, piece.start, piece.length)
            return
        offset = 0
        for chunk in node.get("content") or ():
            blob_id = bytes.fromhex(chunk)
            entry = index.get(blob_id)
            yield blob_id, entry, (file, offset, 0, entry.raw_length)
            offset += entry.raw_length

    def _job(self, pack: str) -> PackJob:
        job = self._batch.get(pack)
        if job is None:
            job = self._batch[pack] = PackJob(pack)
        return job

    def _flush(self) -> None:
        """Start the batch's jobs; every file learns how many jobs it waits for before any runs."""
        jobs = list(self._batch.values())
        self._batch, self._batch_files, self._batch_bytes = {}, 0, 0
        for job in jobs:
            for file in job.files:
                file.jobs += 1
        for job in jobs:
            self._running.append(self._pool.submit(self._run, job))
            while len(self._running) > self._jobs_in_flight:
                self._resolve_oldest()

    def _resolve_oldest(self) -> None:
        completed, failure = self._running.popleft().result()
        self._report(completed)
        if failure is not None:
            raise failure

    def _report(self, completed: Outcome) -> None:
        for file in completed:
            self._open.discard(file)
            if file.skipped:
                self._skipped(file)
            elif file.error is not None:
                self._damaged(file)
            else:
                self._written(file)

    # -- in the pool --------------------------------------------------------------------------
    def _run(self, job: PackJob) -> tuple[Outcome, BaseException | None]:
        """Fill one job, then settle its files; a failure is handed back with what did complete."""
        damaged: list[tuple[RepositoryCorruptError, list[Target]]] = []
        try:
            for file in job.files:
                self._open_file(file)
            self._fill(job, damaged)
        except BaseException as exc:  # a full disk, a path too long: the caller stops the restore
            return [], exc
        try:
            return self._settle(job.files, damaged), None
        except BaseException as exc:
            return [], exc

    def _open_file(self, file: OpenFile) -> None:
        with self._lock:
            if file.fd >= 0 or file.skipped or file.error is not None:
                return
            try:
                file.fd = os.open(file.written_path, _CREATE, 0o600)
            except FileExistsError:
                if file.replace:
                    raise
                file.skipped = True

    def _fill(self, job: PackJob, damaged: list[tuple[RepositoryCorruptError, list[Target]]]) -> None:
        """Read, decode and write one pack's blobs; damaged ones are collected with their targets."""
        blobs = job.blobs
        for blob_id, plain in self._repo.read_pack(job.pack, [(b, wanted[0]) for b, wanted in blobs.items()]):
            targets = blobs[blob_id][1]
            if isinstance(plain, RepositoryCorruptError):
                plain = self._other_copy(blob_id, plain)
                if isinstance(plain, RepositoryCorruptError):
                    damaged.append((plain, targets))
                    continue
            view = memoryview(plain)
            for file, offset, start, length in targets:
                if file.fd >= 0:
                    _write_all(file.fd, view[start:start + length], offset)

    def _other_copy(self, blob_id: bytes, error: RepositoryCorruptError) -> bytes | RepositoryCorruptError:
        """A blob stored in more than one pack (after a repack) is read from another copy."""
        if len(self._repo.index.copies(blob_id)) < 2:
            return error
        try:
            return self._repo.load_blob(blob_id)
        except RepositoryCorruptError as other:
            return other

    def _settle(self, files: list[OpenFile], damaged: list[tuple[RepositoryCorruptError, list[Target]]]) -> Outcome:
        """Record damage and count the job off its files; complete those it was the last job of."""
        with self._lock:
            for error, targets in damaged:
                for file, *_ in targets:
                    file.error = file.error or error
            last = []
            for file in files:
                file.jobs -= 1
                if file.jobs <= 0:
                    last.append(file)
        for file in last:
            self._complete(file)
        return last

    def _complete(self, file: OpenFile) -> None:
        """Metadata through the descriptor (no further path lookups), then the final name."""
        if file.error is not None:
            self._discard(file)
            return
        self._open_file(file)  # a file without content has no job to create it
        if file.skipped:
            return
        try:
            size = int(file.node.get("size", file.length))
            if "extents" in file.node or size != file.length:
                os.ftruncate(file.fd, size)  # a sparse file's trailing hole
            apply_file_metadata(file.fd, file.node)
            os.close(file.fd)
            file.fd = -1
            if file.replace:
                os.replace(file.written_path, file.path)
        except BaseException:
            self._discard(file)
            raise
        file.complete = True

    def _discard(self, file: OpenFile) -> None:
        """Close and remove a file that is not complete: a partly written file must not look restored."""
        if file.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(file.fd)
            file.fd = -1
            with contextlib.suppress(FileNotFoundError):
                os.unlink(file.written_path)


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def partial_name(path: str) -> str:
    """A free temporary name in ``path``'s folder, for content renamed over ``path`` when complete."""
    # Short and random rather than derived from the name: a 250-byte name plus a suffix
    # would pass NAME_MAX.
    return os.path.join(os.path.dirname(path), f".bkctl-{secrets.token_hex(6)}.partial")


def _write_all(fd: int, data: memoryview, offset: int) -> None:
    while data:
        count = os.pwrite(fd, data, offset)
        data = data[count:]
        offset += count
