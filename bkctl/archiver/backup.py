"""Backups of paths and of streams: walk or read, save, then commit the recovery point.

Order of writes (the crash-safety argument): packs, then the index object, then the
point document. Killing the process at any moment leaves either a complete point or no
point plus unreferenced packs that ``reclaim`` removes.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import bkctl
from bkctl.archiver.files import FilesWalker
from bkctl.archiver.parent import find_parent, load_file_map, save_file_map
from bkctl.archiver.pipeline import ChunkPipeline, slot_setter
from bkctl.archiver.progress import Progress
from bkctl.errors import UsageError
from bkctl.repo.points import PointInfo
from bkctl.repo.repository import Repository
from bkctl.repo.tree import Node, encode_tree

__all__ = ["backup_paths", "backup_stream"]


def backup_paths(repo: Repository, *, workload: str, host: str, paths: list[Path],
                 include: list[str] | None = None, exclude: list[str] | None = None,
                 one_file_system: bool = False, compression: int | None = 3,
                 meta: dict[str, Any] | None = None, progress: Progress | None = None,
                 now: datetime | None = None) -> PointInfo:
    """Back up ``paths``; unreadable entries are skipped, listed and make it partial."""
    if not paths:
        raise UsageError("backup_paths needs at least one path")
    started, when = time.monotonic(), now or datetime.now(UTC)
    with repo.session():
        parent = find_parent(repo, workload, host)
        pipeline = ChunkPipeline(repo, compression)
        parent_files = load_file_map(repo, parent)
        walker = FilesWalker(
            chunker=repo.chunker, pipeline=pipeline, parent_files=_reusable(repo, parent_files),
            include=include or [],
            exclude=exclude or [], one_file_system=one_file_system, progress=progress)
        with _abort_on_error(repo, pipeline):
            for path in paths:
                walker.add_root(Path(path))
            pipeline.drain()
            references: set[bytes] = set()
            root = _save_trees(repo, walker.root, compression, references)
            repo.flush()
        counters = walker.counters
        stats = {**asdict(pipeline.counters), "files": counters.files, "dirs": counters.dirs,
                 "bytes": counters.bytes, "bytes_read": counters.bytes_read,
                 "reused_files": counters.reused_files, "errors": len(counters.errors),
                 "duration_seconds": round(time.monotonic() - started, 3)}
        point = PointInfo(
            id=secrets.token_hex(16), workload=workload, host=host, time=when,
            partial=bool(counters.errors), stats=stats, meta=dict(meta or {}), kind="files",
            root=root, paths=[str(Path(p).absolute()) for p in paths],
            errors=counters.errors, tool_version=bkctl_version(),
            parent=parent.id if parent else None)
        repo.commit_point(point, references)
        unchanged = not walker.changed and walker.files.keys() == parent_files.keys()
        save_file_map(repo, point.id, walker.saved_files(),
                      same_as=parent.id if parent is not None and unchanged else None)
    return point


def backup_stream(repo: Repository, *, workload: str, host: str, name: str, stream: BinaryIO,
                  compression: int | None = 3, meta: dict[str, Any] | None = None,
                  progress: Progress | None = None, now: datetime | None = None) -> PointInfo:
    """Back up one item read from ``stream`` (memory stays bounded whatever its size)."""
    if not name or "/" in name or name in (".", ".."):
        raise UsageError(f"stream item name {name!r} must be a plain file name")
    started, when = time.monotonic(), now or datetime.now(UTC)
    with repo.session():
        pipeline = ChunkPipeline(repo, compression)
        content: list[str | None] = []
        total = 0
        with _abort_on_error(repo, pipeline):
            for chunk in repo.chunker.chunks(stream):
                total += len(chunk)
                content.append(None)
                pipeline.submit(chunk, slot_setter(content, len(content) - 1))
                if progress is not None:
                    progress.advance(len(chunk))
            pipeline.drain()
            stamp = time.time_ns() if now is None else int(now.timestamp() * 1e9)
            node: Node = {"name": name, "type": "file", "mode": 0o600, "size": total,
                          "mtime_ns": stamp, "content": content}
            references: set[bytes] = set()
            root = _save_trees(repo, [node], compression, references)
            repo.flush()
        stats = {**asdict(pipeline.counters), "files": 1, "bytes": total, "bytes_read": total,
                 "duration_seconds": round(time.monotonic() - started, 3)}
        point = PointInfo(
            id=secrets.token_hex(16), workload=workload, host=host, time=when, partial=False,
            stats=stats, meta=dict(meta or {}), kind="stream", root=root, paths=[name],
            tool_version=bkctl_version())
        repo.commit_point(point, references)
    return point


def _save_trees(repo: Repository, nodes: list[Node], compression: int | None,
                references: set[bytes]) -> str:
    """Save trees bottom-up; returns the id of the tree holding ``nodes``.

    ``references`` collects every tree and chunk id the trees name (reused content of
    unchanged files included): the set the commit checks is still in the repository.
    """
    nodes = [node for node in nodes if "_failed" not in node]
    for node in nodes:
        if "_children" in node:
            node["subtree"] = _save_trees(repo, node.pop("_children"), compression, references)
        references.update(bytes.fromhex(chunk) for chunk in node.get("content") or ())
    tree_id = repo.save_blob("t", encode_tree(nodes), compression).blob_id
    references.add(tree_id)
    return tree_id.hex()


def _reusable(repo: Repository, parent_files: dict[str, Node]) -> dict[str, Node]:
    """The parent's files whose chunks are all indexed and not marked for deletion.

    Reusing a file means trusting that its chunks are still stored; one dictionary
    lookup per chunk checks that, and a file that fails (damaged index, data marked by
    a reclaim) is simply read again, so the new point never depends on missing data.
    """
    index = repo.index
    return {path: node for path, node in parent_files.items()
            if all(index.usable(bytes.fromhex(chunk)) for chunk in node.get("content") or ())}


@contextmanager
def _abort_on_error(repo: Repository, pipeline: ChunkPipeline) -> Iterator[None]:
    """Close the pipeline always; on error drop unsaved work so claims are released."""
    try:
        yield
    except BaseException:
        pipeline.close()
        repo.abort()
        raise
    pipeline.close()


def bkctl_version() -> str:
    return str(getattr(bkctl, "__version__", "0.1.0"))
