"""Restoring a files point below a directory, with metadata, links and sparse files.

Safety: names come from authenticated trees and are still checked (no '/', '..'); an
existing symlink is never followed into; existing files are skipped (and counted)
unless ``overwrite``. Directory metadata is applied after their contents, deepest first,
so restored mtimes are not disturbed by the files created inside.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pathspec

from bkctl.archiver.progress import Progress
from bkctl.errors import BkctlError
from bkctl.repo.repository import Repository
from bkctl.repo.tree import Node
from bkctl.restorer.content import ChunkReader, write_content

__all__ = ["RestoreStats", "restore_point"]

logger = logging.getLogger("bkctl")


@dataclass
class RestoreStats:
    files: int = 0
    dirs: int = 0
    links: int = 0
    bytes: int = 0
    skipped_existing: int = 0


def restore_point(repo: Repository, point_id: str, to: Path, *, include: list[str] | None = None,
                  overwrite: bool = False, progress: Progress | None = None) -> RestoreStats:
    """Restore into ``to``; stored ``home/a/x`` becomes ``to/home/a/x``."""
    point = repo.get_point(point_id)
    target = Path(os.path.realpath(to))
    target.mkdir(parents=True, exist_ok=True)
    job = _Restore(repo, target, include or [], overwrite, progress)
    try:
        job.directory(point.root, str(target), "")
        job.finish()
    finally:
        job.close()
    return job.stats


class _Restore:
    def __init__(self, repo: Repository, target: Path, include: list[str], overwrite: bool,
                 progress: Progress | None) -> None:
        self.repo, self.target, self.overwrite, self.progress = repo, target, overwrite, progress
        self.spec = pathspec.GitIgnoreSpec.from_lines(include) if include else None
        self.reader = ChunkReader(repo)
        # Small files (one chunk) are restored whole on a pool so latency overlaps across
        # files; big files stream in this thread with chunk prefetch.
        self.small_files = ThreadPoolExecutor(max(4, 2 * (os.cpu_count() or 2)),
                                              thread_name_prefix="bkctl-restore-file")
        self.pending: deque[Future[int | None]] = deque()
        self.stats = RestoreStats()
        self.hardlinks: dict[str, str] = {}
        self.deferred_links: list[tuple[str, str]] = []
        self.directory_metadata: list[tuple[str, Node]] = []

    def finish(self) -> None:
        """Wait for file writes, then make hard links, then set directory metadata."""
        while self.pending:
            self._resolve_oldest()
        for source, path in self.deferred_links:
            try:
                os.link(source, path)
                self.stats.links += 1
            except FileExistsError:
                self._skip(path)
        for path, node in reversed(self.directory_metadata):
            _apply_metadata(path, node)

    def close(self) -> None:
        for future in self.pending:
            future.cancel()
        self.small_files.shutdown(wait=True)
        self.reader.close()

    def directory(self, tree_id: str, path: str, relative: str) -> int:
        restored = 0
        for node in self.repo.load_tree(tree_id):
            child = os.path.join(path, node["name"])
            child_rel = f"{relative}{node['name']}"
            if node["type"] == "dir":
                restored += self._dir(node, child, child_rel)
            elif self.spec is None or self.spec.match_file(child_rel):
                restored += self._entry(node, child, child_rel)
        return restored

    def _dir(self, node: Node, path: str, relative: str) -> int:
        if os.path.islink(path):
            raise BkctlError(f"refusing to restore through the symlink {path}")
        created = not os.path.isdir(path)
        os.makedirs(path, exist_ok=True)
        whole = self.spec is not None and self.spec.match_file(relative + "/")
        spec, self.spec = self.spec, (None if whole else self.spec)
        try:
            restored = self.directory(node["subtree"], path, relative + "/") if node.get(
                "subtree") else 0
        finally:
            self.spec = spec
        if self.spec is not None and not restored and not whole and created:
            os.rmdir(path)
            return 0
        self.stats.dirs += 1
        self.directory_metadata.append((path, node))
        return restored + 1

    def _entry(self, node: Node, path: str, relative: str) -> int:
        # Creation uses O_EXCL semantics instead of a prior lstat: a lookup of a missing
        # name in a directory other threads are filling costs ~0.4 ms on ext4.
        if self.overwrite and os.path.lexists(path):
            if os.path.isdir(path) and not os.path.islink(path):
                return self._skip(path)
            os.unlink(path)
        if self.progress is not None:
            self.progress.file(relative)
        key = node.get("hardlink")
        if key and key in self.hardlinks:
            self.deferred_links.append((self.hardlinks[key], path))
            return 1
        kind = node["type"]
        try:
            if kind == "file":
                self._file(node, path)
            elif kind == "symlink":
                os.symlink(node["target"], path)
            elif kind == "fifo":
                os.mkfifo(path, node["mode"])
            elif kind in ("chardev", "blockdev") and os.geteuid() == 0:
                os.mknod(path, node["mode"] | (0o020000 if kind == "chardev" else 0o060000),
                         node.get("rdev", 0))
            else:
                return 0
        except FileExistsError:
            return self._skip(path)
        if kind != "file":
            _apply_metadata(path, node)
        if key:
            self.hardlinks[key] = path
        return 1

    def _skip(self, path: str) -> int:
        logger.warning("not overwriting existing %s", path)
        self.stats.skipped_existing += 1
        return 0

    def _file(self, node: Node, path: str) -> None:
        content = node.get("content", [])
        if len(content) > 1:
            self._count(_write_file(path, node, self.reader.chunks(content)))
            return
        chunks = (self.repo.load_blob(bytes.fromhex(chunk)) for chunk in content)
        self.pending.append(self.small_files.submit(_write_file, path, node, chunks))
        while len(self.pending) > 64:
            self._resolve_oldest()

    def _resolve_oldest(self) -> None:
        self._count(self.pending.popleft().result())

    def _count(self, written: int | None) -> None:
        if written is None:
            self.stats.skipped_existing += 1  # the writer logged the path
            return
        self.stats.files += 1
        self.stats.bytes += written
        if self.progress is not None:
            self.progress.advance(written)


def _write_file(path: str, node: Node, chunks: Iterable[bytes]) -> int | None:
    """Create and fill one file; None when it already exists (never overwritten here)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        logger.warning("not overwriting existing %s", path)
        return None
    try:
        written = write_content(fd, node, chunks)
        _apply_file_metadata(fd, node)  # through the descriptor: no further path lookups
    finally:
        os.close(fd)
    return written


def _apply_file_metadata(fd: int, node: Node) -> None:
    if os.geteuid() == 0 and "uid" in node:
        os.fchown(fd, node["uid"], node["gid"])
    os.fchmod(fd, node["mode"])
    if "mtime_ns" in node:
        os.utime(fd, ns=(node["mtime_ns"], node["mtime_ns"]))


def _apply_metadata(path: str, node: Node) -> None:
    link = node["type"] == "symlink"
    if os.geteuid() == 0 and "uid" in node:
        os.lchown(path, node["uid"], node["gid"])
    if not link:
        os.chmod(path, node["mode"])
    if "mtime_ns" in node:
        os.utime(path, ns=(node["mtime_ns"], node["mtime_ns"]), follow_symlinks=not link)

