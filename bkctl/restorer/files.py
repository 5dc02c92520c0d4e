"""Restoring a files point below a directory, with metadata, links and sparse files.

Safety: names come from authenticated trees and are still checked (no '/', '..'); an
existing symlink is never followed into; existing files are skipped (and counted)
unless ``overwrite``. Directory metadata is applied after all contents, deepest first,
so restored mtimes are not disturbed by the files created inside; directories that only
lead to a backed-up root get none (see :mod:`bkctl.restorer.layout`).

The walk is iterative (:mod:`bkctl.restorer.walk`): a point nested thousands of levels
deep restores like any other. The limit is then the file system's path length (PATH_MAX,
4096 bytes on Linux), met with :class:`PathTooLongError` naming it.

Damage does not stop the restore: a file whose data fails authentication or whose pack
is missing is named and left out, a directory whose listing is damaged is named and
skipped, and the restore ends with :class:`RestoreDamagedError` (see
:mod:`bkctl.restorer.outcome`).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import TYPE_CHECKING

from bkctl.archiver.progress import Progress
from bkctl.errors import NotFoundError, RepositoryCorruptError
from bkctl.patterns import compile_patterns
from bkctl.repo.tree import Node
from bkctl.restorer.entries import EntryWriter
from bkctl.restorer.layout import Layout
from bkctl.restorer.metadata import apply_folder_metadata
from bkctl.restorer.outcome import PathTooLongError, RestoreDamagedError, RestoreStats
from bkctl.restorer.repository import RestorerRepository
from bkctl.restorer.walk import Frame, walk

if TYPE_CHECKING:
    from pathspec import PathSpec

__all__ = ["RestoreStats", "restore_point"]


def restore_point(repo: RestorerRepository, point_id: str, to: Path, *, include: list[str] | None = None,
                  overwrite: bool = False, progress: Progress | None = None) -> RestoreStats:
    """Restore into ``to``; stored ``home/a/x`` becomes ``to/home/a/x``.

    Raises, after everything restorable was written: RestoreDamagedError (exit 67) when
    stored data is damaged, NotFoundError (exit 66) when ``include`` matched nothing.
    Raises PathTooLongError when the file system refuses a path as too long.
    """
    point = repo.get_point(point_id)
    if progress is not None and not include:
        progress.total(int(point.stats.get("files", 0)), int(point.stats.get("bytes", 0)))
    target = Path(os.path.realpath(to))
    target.mkdir(parents=True, exist_ok=True)
    layout = Layout.of(point.paths)
    job = _Restore(repo, target, layout, include or [], overwrite=overwrite, progress=progress)
    try:
        walk(job, point.root)
        job.finish()
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise PathTooLongError.of(exc, target) from None
        raise
    finally:
        job.close()
    if job.stats.damaged:
        raise RestoreDamagedError(point.id, str(target), job.stats)
    if include and not job.stats.matched:
        raise _nothing_matched(include, point.id, layout)
    return job.stats


def _nothing_matched(include: list[str], point_id: str, layout: Layout) -> NotFoundError:
    roots = sorted(layout.roots)
    example = f"{roots[0]}/..." if roots and roots[0] else "etc/hosts"
    return NotFoundError(
        f"the include patterns ({', '.join(include)}) matched nothing in point {point_id[:8]}; "
        "nothing was restored",
        hint=f"patterns match paths inside the point, such as {example} (gitignore style; "
             f"it holds {', '.join('/' + root for root in roots) or 'no recorded paths'})")


class _Restore:
    """The walk's visitor: directories, their metadata and where the roots landed."""

    def __init__(self, repo: RestorerRepository, target: Path, layout: Layout, include: list[str], *,
                 overwrite: bool, progress: Progress | None) -> None:
        self.repo, self.target, self.layout, self.progress = repo, target, layout, progress
        self.spec: PathSpec | None = compile_patterns(include)
        self.stats = RestoreStats()
        self.entries = EntryWriter(repo, self.stats, overwrite=overwrite, progress=progress)
        self.directory_metadata: list[tuple[str, Node]] = []

    def load(self, tree_id: str, path: str, stored: str) -> list[Node] | None:
        try:
            return self.repo.load_tree(tree_id)
        except RepositoryCorruptError as exc:
            self.stats.damage(path, f"{stored}/", f"its directory listing: {exc.message}")
            return None

    def matched(self) -> None:
        self.stats.matched += 1

    def entry(self, node: Node, path: str, stored: str) -> int:
        if self.progress is not None:
            self.progress.file(stored)
        restored = self.entries.create(node, path, stored)
        if restored and self.layout.root(stored):
            self.stats.landed.append(path)
        return restored

    def closed(self, frame: Frame) -> int:
        """Keep a finished directory (with metadata unless intermediate), or drop it if left empty."""
        if frame.node is None:  # the point's root: the target folder itself
            if frame.restored and self.layout.root(""):
                self.stats.landed.append(frame.path)
            return frame.restored
        intermediate = self.layout.intermediate(frame.stored)
        if frame.created and not frame.restored and (frame.spec is not None or intermediate):
            os.rmdir(frame.path)
            return 0
        if intermediate:
            return frame.restored
        self.stats.dirs += 1
        self.directory_metadata.append((frame.path, frame.node))
        if self.layout.root(frame.stored):
            self.stats.landed.append(frame.path)
        return frame.restored + 1

    def finish(self) -> None:
        """Wait for file writes and hard links, then set directory metadata deepest first."""
        self.entries.finish()
        for path, node in self.directory_metadata:  # a directory closes after its children
            apply_folder_metadata(path, node)

    def close(self) -> None:
        self.entries.close()
