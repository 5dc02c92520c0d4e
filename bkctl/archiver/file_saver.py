"""Reading one regular file into chunks, or reusing the parent's chunks without reading."""

from __future__ import annotations

import io
import os

from bkctl.archiver.pipeline import ChunkPipeline, slot_setter
from bkctl.archiver.sparse import ExtentReader, data_extents, looks_sparse
from bkctl.repo.blobs import SaveResult
from bkctl.repo.chunker import Chunker
from bkctl.repo.tree import Node

__all__ = ["SmallFileOutcome", "open_file", "read_file_content", "read_small_file", "save_small_files"]

SmallFileOutcome = tuple[SaveResult | None, int] | OSError
"""A small file's saved chunk (None when empty) and its length, or why it could not be read."""

_NOATIME = getattr(os, "O_NOATIME", 0)


def open_file(path: str) -> int:
    """Open for reading without following a symlink swapped in since the lstat."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags | _NOATIME)
    except PermissionError:
        if not _NOATIME:
            raise
        return os.open(path, flags)  # O_NOATIME needs ownership; retry without it


def read_file_content(path: str, node: Node, st: os.stat_result, chunker: Chunker,
                      pipeline: ChunkPipeline) -> int:
    """Queue the file's chunks; node["content"] fills as they are saved. Returns bytes read.

    Files below the minimum chunk size are one chunk by definition, so they skip the
    chunker (same id either way, much less overhead for many small files).
    """
    content: list[str | None] = []
    node["content"] = content
    fd = open_file(path)
    try:
        if looks_sparse(st):
            extents = data_extents(fd, st.st_size)
            node["extents"] = [list(extent) for extent in extents]
            stream: io.RawIOBase = ExtentReader(fd, extents)
        else:
            stream = io.FileIO(fd, closefd=False)
        if st.st_size <= chunker.minimum_size:
            data = stream.read(chunker.minimum_size + 1) or b""
            chunks = iter([data] if data else [])
        else:
            chunks = chunker.chunks(stream)  # type: ignore[arg-type]
        total = 0
        for chunk in chunks:
            total += len(chunk)
            content.append(None)
            pipeline.submit(chunk, slot_setter(content, len(content) - 1))
        return total
    finally:
        os.close(fd)


def read_small_file(path: str, limit: int) -> bytes:
    """A file of at most one chunk (``limit``), read whole (on a worker: the system calls release the GIL)."""
    fd = open_file(path)
    try:
        return os.read(fd, limit + 1)
    finally:
        os.close(fd)


def save_small_files(paths: list[str], limit: int, pipeline: ChunkPipeline) -> list[SmallFileOutcome]:
    """Read and save a batch of files of at most one chunk each, on one worker thread.

    Many small files are dominated by per-file overhead: open/read/close (which release
    the GIL, so the workers overlap them instead of serialising on the walker), and the
    executor's and blob writer's per-item cost (futures, locks, spool writes, all under
    the GIL). One job per batch, and one :meth:`ChunkPipeline.save_many` for the whole
    batch, keep that off every file. A file that fails yields its OSError.
    """
    results: list[SmallFileOutcome] = []
    datas: list[bytes] = []
    for path in paths:
        try:
            data = read_small_file(path, limit)
        except OSError as exc:
            results.append(exc)
            continue
        results.append((None, len(data)))
        if data:
            datas.append(data)
    saved = iter(pipeline.save_many(datas) if datas else ())
    return [outcome if isinstance(outcome, OSError) or not outcome[1] else (next(saved), outcome[1])
            for outcome in results]
