"""Walking the given paths into tree nodes, with include/exclude and incremental reuse.

Stored paths keep each root's absolute location (``/home/a/x`` is stored as
``home/a/x``), like restic, so one point may hold several roots and a restore into
``to`` recreates them below it. Patterns are gitignore-style, matched against the path
relative to the root given on the command line.
"""

from __future__ import annotations

import os
import stat
import struct
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from bkctl.archiver.file_saver import SmallFileOutcome, read_file_content, save_small_files
from bkctl.archiver.filerecord import FileRecord, pack_node, record_chunks, record_extents, record_fields
from bkctl.archiver.nodes import node_from_stat, unchanged
from bkctl.archiver.pipeline import ChunkPipeline
from bkctl.archiver.progress import Progress
from bkctl.archiver.sparse import looks_sparse
from bkctl.patterns import compile_patterns
from bkctl.repo.chunker import Chunker
from bkctl.repo.tree import Node

__all__ = ["FilesWalker"]

SMALL_BATCH_FILES = 32  # small files saved per worker job
SMALL_BATCH_BYTES = 1 << 20  # ... or fewer, once their sizes add up to this


@dataclass
class WalkCounters:
    files: int = 0
    dirs: int = 0
    bytes: int = 0
    bytes_read: int = 0
    reused_files: int = 0
    errors: list[str] = field(default_factory=list)


SaveFolder = Callable[[list[Node], str], str]
"""Saves one folder's tree from its nodes and stored path; returns the tree id (hex)."""


class FilesWalker:
    """Builds nodes (dirs carry ``_children`` until their trees are saved).

    With ``save_folder``, trees stream out during the walk: a folder below a root is
    queued when its walk ends, with the pipeline position after which all its files are
    saved (the pipeline resolves in order), and its tree is saved as soon as the
    pipeline gets there; its nodes are then dropped and its files kept only as file-map
    entries. Memory then holds the folders in flight, not every node of the backup.
    Roots and the folders leading to them keep their children until the end (a later
    root may add to them), and so does everything when roots nest (``save_folder`` None).

    With streaming trees the walk also consumes ``parent_files``: each file takes its
    parent's entry out of the map as it is walked, so the parent's path and the records of
    changed files are freed on the way instead of living beside the new map to the end
    (with 50,000 files, about 4 MiB of paths). Nested roots walk some files twice, so
    there the map is only read.
    """

    def __init__(self, *, chunker: Chunker, pipeline: ChunkPipeline,
                 parent_files: dict[str, FileRecord], usable: Callable[[bytes], bool], include: list[str],
                 exclude: list[str], one_file_system: bool, progress: Progress | None,
                 save_folder: SaveFolder | None = None) -> None:
        self._chunker, self._pipeline = chunker, pipeline
        self._parent, self._usable = parent_files, usable
        self._consume = save_folder is not None
        self._take = parent_files.pop if self._consume else parent_files.get
        self._visited = 0  # parent entries taken by walked files
        self._include = compile_patterns(include)
        self._exclude = compile_patterns(exclude)
        self._one_fs = one_file_system
        self._progress = progress
        self._hardlinks: dict[str, Node] = {}  # "dev:inode" -> the first name's node, whose content others share
        self._followers: dict[str, list[tuple[Node, str]]] = {}  # ... and the other names (node, stored path)
        self.files: dict[str, Node] = {}  # files whose folder's tree is not saved yet
        self._entries: dict[str, FileRecord] = {}  # file-map records of the files of saved folders
        self._reused: dict[str, FileRecord] = {}  # the parent's record of each file reused as it was
        self._save_folder = save_folder
        self._finished: deque[tuple[int, Node, str]] = deque()  # (pipeline mark, folder node, stored path)
        self.changed = False  # any file read instead of reused from the parent
        self.counters = WalkCounters()
        self.root: list[Node] = []
        self._batch: list[tuple[Node, str, str]] = []  # small files waiting for a job
        self._batch_bytes = 0

    def add_root(self, root: Path) -> None:
        try:
            self._add_root(root)
        finally:
            self._submit_batch()

    def _add_root(self, root: Path) -> None:
        root = Path(os.path.abspath(root))
        children = self.root
        for depth in range(1, len(root.parts) - 1):
            intermediate = Path(*root.parts[: depth + 1])
            children = self._intermediate(children, intermediate)
        try:
            st = os.lstat(root)
        except OSError as exc:
            self._error(str(root), exc)
            return
        if len(root.parts) == 1:  # the filesystem root itself
            children.extend(self._walk_dir(str(root), "", "", st.st_dev))
            return
        node = self._entry(str(root), root.name, "", root.as_posix().lstrip("/"), st, st.st_dev)
        if node is not None:
            children[:] = [c for c in children if c["name"] != node["name"]] + [node]

    def _intermediate(self, children: list[Node], path: Path) -> list[Node]:
        for node in children:
            if node["name"] == path.name and node["type"] == "dir":
                return node["_children"]  # type: ignore[no-any-return]
        node = node_from_stat(path.name, os.stat(path), str(path)) or {}
        node.update(type="dir", _children=[])
        children.append(node)
        return node["_children"]  # type: ignore[no-any-return]

    def _walk_dir(self, path: str, relative: str, stored: str, device: int) -> list[Node]:
        try:
            names = sorted(os.listdir(path))  # names only: no DirEntry per file
        except OSError as exc:
            self._error(stored or "/", exc)
            return []
        nodes = []
        prefix = path if path.endswith("/") else f"{path}/"  # os.path.join, without a call per file
        for name in names:
            child_path = prefix + name
            try:
                st = os.lstat(child_path)
            except OSError as exc:
                self._error(f"{stored}/{name}", exc)
                continue
            child_rel = f"{relative}/{name}" if relative else name
            child_stored = f"{stored}/{name}" if stored else name
            node = self._entry(child_path, name, child_rel, child_stored, st, device)
            if node is not None:
                nodes.append(node)
        return nodes

    def _entry(self, path: str, name: str, relative: str, stored: str, st: os.stat_result,
               device: int) -> Node | None:
        is_dir = stat.S_ISDIR(st.st_mode)
        if self._exclude and relative and self._exclude.match_file(
                relative + ("/" if is_dir else "")):
            return None
        try:
            node = node_from_stat(name, st, path)
        except OSError as exc:
            self._error(stored, exc)
            return None
        if node is None:
            return None
        if node["type"] == "dir":
            return self._dir(node, path, relative, stored, st, device)
        if self._include and not self._include.match_file(relative or name):
            return None
        if node["type"] == "file":
            return self._file(node, path, stored, st)
        return node

    def _dir(self, node: Node, path: str, relative: str, stored: str, st: os.stat_result,
             device: int) -> Node | None:
        self.counters.dirs += 1
        crosses = self._one_fs and st.st_dev != device
        node["_children"] = [] if crosses else self._walk_dir(path, relative, stored, device)
        if self._include and not node["_children"] and relative and not (
                self._include.match_file(relative + "/")):
            return None
        if self._save_folder is not None and relative:  # below a root: its tree can stream out
            self._finished.append((self._pipeline.submitted + (1 if self._batch else 0), node, stored))
            self._save_resolved()
        return node

    def _save_resolved(self) -> None:
        """Save the trees of finished folders whose files the pipeline has all saved.

        A pending batch of small files is always the next job submitted (a large file
        submits it first), so ``submitted + 1`` marks it. Folders finish children first
        and marks only grow, so a folder's subfolders are saved before it.
        """
        assert self._save_folder is not None
        finished, resolved = self._finished, self._pipeline.resolved
        while finished and finished[0][0] <= resolved:
            _, node, stored = finished.popleft()
            children = node.pop("_children")
            node["subtree"] = self._save_folder(children, stored)
            self._keep_entries(children, stored)

    def _keep_entries(self, children: list[Node], folder: str) -> None:
        """The saved folder's files as file-map entries; their nodes can go."""
        files, entries, reused = self.files, self._entries, self._reused
        for child in children:
            if child["type"] == "file":
                stored = f"{folder}/{child['name']}"
                if files.pop(stored, None) is not None and "_failed" not in child:
                    record = reused.pop(stored, None) or pack_node(child)  # frees the walk's copy of the path
                    if record is not None:
                        entries[stored] = record

    def finish(self) -> None:
        """Wait for every save, then save the trees of the folders still queued."""
        self._submit_batch()
        self._pipeline.drain()
        if self._save_folder is not None:
            self._save_resolved()

    def _file(self, node: Node, path: str, stored: str, st: os.stat_result) -> Node | None:
        if self._progress is not None:
            self._progress.file(stored)
        previous = self._take(stored, None)
        if previous is not None:
            self._visited += 1
        key = node.get("hardlink")
        if key and key in self._hardlinks:
            first = self._hardlinks[key]  # the same file: its chunks and, when sparse, where they go
            node["content"] = first["content"]
            if "extents" in first:
                node["extents"] = first["extents"]
            self._followers.setdefault(key, []).append((node, stored))
        elif previous is not None and self._reuse(node, previous, stored, st):
            self.counters.reused_files += 1
        elif st.st_size < self._chunker.minimum_size and not looks_sparse(st):
            node["content"] = []
            self._batch.append((node, path, stored))
            self._batch_bytes += st.st_size
            if len(self._batch) >= SMALL_BATCH_FILES or self._batch_bytes >= SMALL_BATCH_BYTES:
                self._submit_batch()
            self.changed = True
        else:
            self._submit_batch()  # a pending batch stays the next job (see _save_resolved)
            try:
                read = read_file_content(path, node, st, self._chunker, self._pipeline)
            except OSError as exc:
                self._error(stored, exc)
                return None
            self.counters.bytes_read += read
            self.changed = True
        if key:
            self._hardlinks.setdefault(key, node)
        self.counters.files += 1
        self.counters.bytes += st.st_size
        if self._progress is not None:
            self._progress.advance(st.st_size)
        self.files[stored] = node
        return node

    def _reuse(self, node: Node, previous: FileRecord, stored: str, st: os.stat_result) -> bool:
        """Give the node its parent's content when the file is unchanged and its chunks stored.

        A sparse file whose record has no extents is read again: before they were fixed,
        the other names of a hard-linked sparse file were recorded without them.

        Reusing a file means trusting that its chunks are still stored; one dictionary
        lookup per chunk checks that, and a file that fails (damaged index, data marked by
        a reclaim) is simply read again, so the new point never depends on missing data.
        Checked here, only for files about to be reused, rather than by filtering a copy
        of the whole parent map first (time and memory per file).
        """
        try:
            fields = record_fields(previous)
            if not unchanged(node, fields):
                return False
            chunks = record_chunks(previous, fields)
            extents = record_extents(previous, fields) if fields[5] >= 0 else None
        except (struct.error, ValueError, IndexError):  # a malformed cached record: the file is read
            return False
        if extents is None and looks_sparse(st):
            return False
        if not all(map(self._usable, chunks)):
            return False
        node["content"] = list(map(bytes.hex, chunks))
        if extents is not None:
            node["extents"] = extents
        self._reused[stored] = previous
        return True

    def _submit_batch(self) -> None:
        if not self._batch:
            return
        batch, self._batch, self._batch_bytes = self._batch, [], 0
        self._pipeline.submit_job(
            partial(save_small_files, [path for _, path, _ in batch], self._chunker.minimum_size, self._pipeline),
            partial(self._small_files_saved, batch))

    def _small_files_saved(self, batch: list[tuple[Node, str, str]],
                           future: Future[list[SmallFileOutcome]]) -> None:
        for (node, _, stored), outcome in zip(batch, future.result(), strict=True):
            self._small_file_saved(node, stored, outcome)

    def _small_file_saved(self, node: Node, stored: str, outcome: SmallFileOutcome) -> None:
        if isinstance(outcome, OSError):
            self._drop(node, stored, outcome)
            key = node.get("hardlink")
            if key and self._hardlinks.get(key) is node:  # its other names shared the content it never got
                del self._hardlinks[key]  # a name walked later reads the file itself
                for follower, where in self._followers.pop(key, []):
                    self._drop(follower, where, outcome)
            return
        result, length = outcome
        if result is not None:
            self._pipeline.record(result, length)
            node["content"].append(result.blob_id.hex())
        self.counters.bytes_read += length

    def _drop(self, node: Node, stored: str, error: OSError) -> None:
        """A file that could not be read: out of its tree and the file map, and reported."""
        node["_failed"] = True
        self.counters.files -= 1
        self.counters.bytes -= node["size"]
        self._error(stored, error)

    def file_map(self) -> dict[str, FileRecord]:
        """Every saved file as the next backup's parent entry.

        A reused file's record is its parent's record object (size, times, inode and
        chunks are equal by the reuse test), so after a small change most of the map
        is not built again, only the new and changed files' records. A file whose values
        fit no record is left out (and read again next time).
        """
        reused, files = self._reused, dict(self._entries)
        for path, node in self.files.items():
            if "_failed" not in node and (record := reused.get(path) or pack_node(node)) is not None:
                files[path] = record
        return files

    def same_files_as_parent(self, file_map: dict[str, FileRecord]) -> bool:
        """Whether ``file_map`` names exactly the parent's files: every one walked, none added."""
        if self._consume:
            return not self._parent and len(file_map) == self._visited
        return file_map.keys() == self._parent.keys()

    def _error(self, stored: str, exc: OSError) -> None:
        self.counters.errors.append(f"{stored}: {exc.strerror or exc}")
