"""Creating restored files, links and special files; damaged files are named, never written.

Files are created here, in the walk's thread, and filled in pack order by
:class:`~bkctl.restorer.content.ContentWriter`. Hard links are made last, once the file
they point to is complete; a link to a damaged file is damaged too.
"""

from __future__ import annotations

import os

from bkctl.archiver.progress import Progress
from bkctl.repo.tree import Node
from bkctl.restorer.content import ContentWriter, OpenFile, partial_name
from bkctl.restorer.metadata import apply_metadata
from bkctl.restorer.outcome import RestoreStats
from bkctl.restorer.repository import RestorerRepository

__all__ = ["EntryWriter"]


class EntryWriter:
    """Creates every non-directory entry of a restore and keeps ``stats`` up to date."""

    def __init__(self, repo: RestorerRepository, stats: RestoreStats, *, overwrite: bool,
                 progress: Progress | None) -> None:
        self.repo, self.stats, self.overwrite, self.progress = repo, stats, overwrite, progress
        self.content = ContentWriter(repo, written=self._count, damaged=self._lose,
                                     skipped=lambda file: self.stats.skip(file.path))
        self.hardlinks: dict[str, str] = {}  # "dev:inode" -> the path restored first
        self.deferred_links: list[tuple[str, str, str, bool]] = []  # source, path, stored, replace
        self.lost: set[str] = set()  # files not written because their data is damaged

    def create(self, node: Node, path: str, stored: str) -> int:
        """Create one entry; returns 1 when it was (or is being) restored, else 0."""
        # Creation uses O_EXCL semantics instead of a prior lstat: a lookup of a missing
        # name in a directory other threads are filling costs ~0.4 ms on ext4.
        kind, key = node["type"], node.get("hardlink")
        replace = False
        if self.overwrite and os.path.lexists(path):
            if os.path.isdir(path) and not os.path.islink(path):
                return self._skip(path)
            replace = kind == "file"  # replaced by rename once the new content is complete
            if not replace:
                os.unlink(path)
        if key and key in self.hardlinks:
            self.deferred_links.append((self.hardlinks[key], path, stored, replace))
            return 1
        try:
            if not self._make(node, path, stored, replace):
                return 0
        except FileExistsError:
            return self._skip(path)
        if kind != "file":
            apply_metadata(path, node)
        if key:
            self.hardlinks[key] = path
        return 1

    def _make(self, node: Node, path: str, stored: str, replace: bool) -> bool:
        kind = node["type"]
        if kind == "file":
            self._file(node, path, stored, replace)
        elif kind == "symlink":
            os.symlink(node["target"], path)
        elif kind == "fifo":
            os.mkfifo(path, node["mode"])
        elif kind in ("chardev", "blockdev") and os.geteuid() == 0:
            os.mknod(path, node["mode"] | (0o020000 if kind == "chardev" else 0o060000), node.get("rdev", 0))
        else:
            return False
        return True

    def _file(self, node: Node, path: str, stored: str, replace: bool) -> None:
        self.content.create(path, stored, node, replace=replace)

    def finish(self) -> None:
        """Wait for every file, then make the hard links (their files are complete by now)."""
        self.content.finish()
        for source, path, stored, replace in self.deferred_links:
            if source in self.lost:
                self.lost.add(path)
                self.stats.damage(path, stored, f"hard link to {source}, which is damaged")
            else:
                self._link(source, path, replace)

    def close(self) -> None:
        self.content.close()

    def _link(self, source: str, path: str, replace: bool) -> None:
        try:
            if replace:
                temporary = partial_name(path)
                os.link(source, temporary)
                os.replace(temporary, path)
            else:
                os.link(source, path)
            self.stats.links += 1
        except FileExistsError:
            self._skip(path)

    def _lose(self, file: OpenFile) -> None:
        assert file.error is not None
        self.lost.add(file.path)
        self.stats.damage(file.path, file.stored, file.error.message)

    def _count(self, file: OpenFile) -> None:
        self.stats.files += 1
        self.stats.bytes += file.length
        if self.progress is not None:
            self.progress.advance(file.length)

    def _skip(self, path: str) -> int:
        self.stats.skip(path)
        return 0
