"""Saving items as a recovery point: paths are walked, a stream is read, then the tail commits.

:func:`save` is what a target driver calls with the items a source yields; it picks the
walk by the item's type. :func:`backup_paths` and :func:`backup_stream` spell the same
thing with keywords, for tests and benchmarks that have no source.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import BinaryIO

from bkctl.archiver.files import FilesWalker
from bkctl.archiver.parent import find_parent, load_file_map, load_tree_map, save_file_map, save_tree_map
from bkctl.archiver.pipeline import ChunkPipeline, slot_setter
from bkctl.archiver.point import PointHeader, SavedItems, TreeReuse, commit_point, save_trees
from bkctl.archiver.progress import Progress
from bkctl.archiver.repository import ArchiverRepository
from bkctl.archiver.scan import scan
from bkctl.errors import UsageError
from bkctl.repo.points import PointInfo
from bkctl.repo.tree import Node
from bkctl.sources.base import Fact, Items, PathItems, StreamItem

__all__ = ["save", "backup_paths", "backup_stream"]


def save(repo: ArchiverRepository, items: Items, *, workload: str, host: str, compression: int | None = 3,
         meta: Mapping[str, Fact] | None = None, progress: Progress | None = None,
         now: datetime | None = None) -> PointInfo:
    """Save ``items`` as one recovery point of ``workload``; a stream's facts join ``meta``.

    Files that cannot be read are skipped, listed and make the point partial; a stream
    that raises (its producer failed) commits nothing.
    """
    when = now or datetime.now(UTC)
    if isinstance(items, PathItems):
        if not items.paths:
            raise UsageError("a files backup needs at least one path")
        header = PointHeader(workload, host, when, dict(meta or {}))
        with _few_collections():
            return commit_point(repo, header, partial(_save_paths, repo, items, header, compression, progress))
    if not items.name or "/" in items.name or items.name in (".", ".."):
        raise UsageError(f"stream item name {items.name!r} must be a plain file name")
    header = PointHeader(workload, host, when, {**(meta or {}), **items.facts})
    return commit_point(repo, header, partial(_save_stream, repo, items, compression, progress, now))


def backup_paths(repo: ArchiverRepository, *, workload: str, host: str, paths: list[Path],
                 include: list[str] | None = None, exclude: list[str] | None = None,
                 one_file_system: bool = False, compression: int | None = 3,
                 meta: Mapping[str, Fact] | None = None, progress: Progress | None = None,
                 now: datetime | None = None) -> PointInfo:
    """Back up ``paths``: :func:`save` of :class:`PathItems`."""
    items = PathItems(tuple(paths), tuple(include or ()), tuple(exclude or ()), one_file_system)
    return save(repo, items, workload=workload, host=host, compression=compression, meta=meta,
                progress=progress, now=now)


def backup_stream(repo: ArchiverRepository, *, workload: str, host: str, name: str, stream: BinaryIO,
                  compression: int | None = 3, meta: Mapping[str, Fact] | None = None,
                  progress: Progress | None = None, now: datetime | None = None) -> PointInfo:
    """Back up one item read from ``stream``: :func:`save` of a :class:`StreamItem`."""
    return save(repo, StreamItem(name, stream), workload=workload, host=host, compression=compression,
                meta=meta, progress=progress, now=now)


def _save_paths(repo: ArchiverRepository, items: PathItems, header: PointHeader, compression: int | None,
                progress: Progress | None) -> SavedItems:
    """Walk and save; the parent's unchanged files are reused without reading them."""
    if progress is not None:
        counted = scan(items)
        progress.total(counted.files, counted.bytes)
    parent = find_parent(repo, header.workload, header.host)
    pipeline = ChunkPipeline(repo, compression)
    parent_files = load_file_map(repo, parent)
    references: set[bytes] = set()
    reuse = TreeReuse(load_tree_map(repo, parent), repo.index.usable)
    stream = None if _roots_nest(items.paths) else partial(_save_folder, repo, compression, references, reuse)
    walker = FilesWalker(
        chunker=repo.chunker, pipeline=pipeline, parent_files=parent_files, usable=repo.index.usable,
        include=list(items.include), exclude=list(items.exclude), one_file_system=items.one_file_system,
        progress=progress, save_folder=stream)
    with _abort_on_error(repo, pipeline):
        for path in items.paths:
            walker.add_root(Path(path))
        walker.finish()
        root = save_trees(repo, walker.root, compression, references, reuse)
        repo.flush()
    counters = walker.counters
    file_map = walker.file_map()
    unchanged = parent is not None and not walker.changed and walker.same_files_as_parent(file_map)

    def cache_file_map(point_id: str) -> None:
        save_file_map(repo, point_id, file_map, same_as=parent.id if parent and unchanged else None)
        save_tree_map(repo, point_id, reuse.saved)

    stats = {**asdict(pipeline.counters), "files": counters.files, "dirs": counters.dirs, "bytes": counters.bytes,
             "bytes_read": counters.bytes_read, "reused_files": counters.reused_files, "reused_trees": reuse.reused,
             "errors": len(counters.errors)}
    return SavedItems(kind="files", root=root, paths=[str(Path(p).absolute()) for p in items.paths], stats=stats,
                      references=references, errors=counters.errors, parent=parent.id if parent else None,
                      committed=cache_file_map)


def _save_folder(repo: ArchiverRepository, compression: int | None, references: set[bytes], reuse: TreeReuse,
                 nodes: list[Node], stored: str) -> str:
    """One folder's tree during the walk (its subfolders' trees are saved already)."""
    return save_trees(repo, nodes, compression, references, reuse, stored)


def _roots_nest(paths: tuple[Path, ...] | list[Path]) -> bool:
    """Whether a root lies in another (or is given twice): the later one then adds to the
    earlier one's folders, so their trees cannot be saved while the walk goes on."""
    roots = [Path(os.path.abspath(path)) for path in paths]
    return any(a == b or a in b.parents or b in a.parents for i, a in enumerate(roots) for b in roots[i + 1:])


def _save_stream(repo: ArchiverRepository, item: StreamItem, compression: int | None, progress: Progress | None,
                 now: datetime | None) -> SavedItems:
    """Chunk the stream to its end (where a failed producer raises), then save its one-file tree."""
    pipeline = ChunkPipeline(repo, compression)
    content: list[str | None] = []
    total = 0
    references: set[bytes] = set()
    with _abort_on_error(repo, pipeline):
        for chunk in repo.chunker.chunks(item.stream):
            total += len(chunk)
            content.append(None)
            pipeline.submit(chunk, slot_setter(content, len(content) - 1))
            if progress is not None:
                progress.advance(len(chunk))
        pipeline.drain()
        stamp = time.time_ns() if now is None else int(now.timestamp() * 1e9)
        node: Node = {"name": item.name, "type": "file", "mode": 0o600, "size": total,
                      "mtime_ns": stamp, "content": content}
        root = save_trees(repo, [node], compression, references)
        repo.flush()
    stats = {**asdict(pipeline.counters), "files": 1, "bytes": total, "bytes_read": total}
    return SavedItems(kind="stream", root=root, paths=[item.name], stats=stats, references=references)


class _Collections:
    """The collector's settings while backups run (several at once in tests: the first
    changes them, the last puts them back)."""

    lock = threading.Lock()
    running = 0
    saved: tuple[int, int, int] = (700, 10, 10)


@contextmanager
def _few_collections() -> Iterator[None]:
    """Keep the cyclic garbage collector from traversing a backup's objects again and again.

    A backup loads the index (an entry per blob) and the parent's file map (a list per
    file), then builds a dict per file: millions of objects, none in a cycle, yet each
    700 allocations start a collection and every so often one traverses them all. With
    50,000 files that was 12-20% of a no-change or incremental backup. Young objects are
    collected after 100,000 allocations instead (cycles are still found, later), until
    the backup ends. (``gc.freeze`` would spare a little more, but unfreezing afterwards
    would undo a freeze of the program that embeds the engine.)
    """
    with _Collections.lock:
        if _Collections.running == 0:
            _Collections.saved = gc.get_threshold()
            first, *rest = _Collections.saved
            gc.set_threshold(max(first, 100_000), *rest)
        _Collections.running += 1
    try:
        yield
    finally:
        with _Collections.lock:
            _Collections.running -= 1
            if _Collections.running == 0:
                gc.set_threshold(*_Collections.saved)


@contextmanager
def _abort_on_error(repo: ArchiverRepository, pipeline: ChunkPipeline) -> Iterator[None]:
    """Close the pipeline always; on error drop unsaved work (unindexed packs, claims)."""
    try:
        yield
    except BaseException:
        pipeline.close()
        repo.abort()
        raise
    pipeline.close()
