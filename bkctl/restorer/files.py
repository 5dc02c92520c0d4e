"""Restoring a files point below a directory, with metadata, links and sparse files.

Safety: names come from authenticated trees and are still checked (no '/', '..'); an
existing symlink is never followed into; existing files are skipped (and counted)
unless ``overwrite``. Directory metadata is applied after their contents, deepest first,
so restored mtimes are not disturbed by the files created inside.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pathspec

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
                  overwrite: bool = False, progress: Any = None) -> RestoreStats:
    """Restore into ``to``; stored ``home/a/x`` becomes ``to/home/a/x``."""
    point = repo.get_point(point_id)
    target = Path(os.path.realpath(to))
    target.mkdir(parents=True, exist_ok=True)
    job = _Restore(repo, target, include or [], overwrite, progress)
    try:
        job.directory(point.root, str(target), "")
        for path, node in reversed(job.directory_metadata):
            _apply_metadata(path, node)
    finally:
        job.reader.close()
    return job.stats


class _Restore:
    def __init__(self, repo: Repository, target: Path, include: list[str], overwrite: bool,
                 progress: Any) -> None:
        self.repo, self.target, self.overwrite, self.progress = repo, target, overwrite, progress
        self.spec = pathspec.GitIgnoreSpec.from_lines(include) if include else None
        self.reader = ChunkReader(repo)
        self.stats = RestoreStats()
        self.hardlinks: dict[str, str] = {}
        self.directory_metadata: list[tuple[str, Node]] = []

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
        if os.path.lexists(path):
            if not self.overwrite or (os.path.isdir(path) and not os.path.islink(path)):
                logger.warning("not overwriting existing %s", path)
                self.stats.skipped_existing += 1
                return 0
            os.unlink(path)
        if self.progress is not None and hasattr(self.progress, "file"):
            self.progress.file(relative)
        key = node.get("hardlink")
        if key and key in self.hardlinks:
            os.link(self.hardlinks[key], path)
            self.stats.links += 1
            return 1
        kind = node["type"]
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
        _apply_metadata(path, node)
        if key:
            self.hardlinks[key] = path
        return 1

    def _file(self, node: Node, path: str) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            written = write_content(fd, node, self.reader)
        finally:
            os.close(fd)
        self.stats.files += 1
        self.stats.bytes += written
        if self.progress is not None and hasattr(self.progress, "advance"):
            self.progress.advance(written)


def _apply_metadata(path: str, node: Node) -> None:
    link = node["type"] == "symlink"
    if os.geteuid() == 0 and "uid" in node:
        os.lchown(path, node["uid"], node["gid"])
    if not link:
        os.chmod(path, node["mode"])
    if "mtime_ns" in node:
        os.utime(path, ns=(node["mtime_ns"], node["mtime_ns"]), follow_symlinks=not link)

