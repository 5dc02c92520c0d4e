"""Fetching a file's chunks (authenticated, id-checked) in order, and writing files whole or not at all."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from bkctl.repo.tree import Node
from bkctl.restorer.metadata import apply_file_metadata
from bkctl.restorer.repository import RestorerRepository

__all__ = ["ChunkReader", "partial_name", "write_content", "write_file"]

logger = logging.getLogger("bkctl")


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


def write_file(path: str, node: Node, chunks: Iterable[bytes], *, replace: bool = False) -> int | None:
    """Create and fill one file; returns its bytes, or None when it exists and ``replace`` is off.

    Whatever fails while the content is written (a damaged chunk, a full disk), the file
    is removed before the error goes on: a partly written file must not look restored.
    With ``replace`` the content goes to a short temporary name beside it and is renamed
    over ``path`` only when complete, so a damaged stored copy never costs the local file.
    """
    written_path = partial_name(path) if replace else path
    try:
        fd = os.open(written_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        if replace:
            raise
        logger.warning("not overwriting existing %s", path)
        return None
    try:
        try:
            written = write_content(fd, node, chunks)
            apply_file_metadata(fd, node)  # through the descriptor: no further path lookups
        finally:
            os.close(fd)
        if replace:
            os.replace(written_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(written_path)
        raise
    return written


def partial_name(path: str) -> str:
    """A free temporary name in ``path``'s folder, for content renamed over ``path`` when complete."""
    # Short and random rather than derived from the name: a 250-byte name plus a suffix
    # would pass NAME_MAX.
    return os.path.join(os.path.dirname(path), f".bkctl-{secrets.token_hex(6)}.partial")


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
