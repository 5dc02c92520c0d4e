"""The shared tail of every backup: the session, the trees, the point document, the commit.

Order of writes (the crash-safety argument): packs, then the index object, then the
point document. Killing the process at any moment leaves either a complete point or no
point plus unreferenced packs that ``reclaim`` removes. The lock and the commit live here
and only here, so both kinds of items commit the same way.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import bkctl
from bkctl.archiver.repository import ArchiverRepository
from bkctl.repo.points import PointInfo
from bkctl.repo.tree import Node, encode_tree
from bkctl.sources.base import Fact

__all__ = ["PointHeader", "SavedItems", "commit_point", "save_trees", "bkctl_version"]


@dataclass(frozen=True)
class PointHeader:
    """Whose point it is and when it was taken (the time the backup started)."""

    workload: str
    host: str
    time: datetime
    meta: Mapping[str, Fact]


@dataclass
class SavedItems:
    """What saving one kind of item hands the tail once its data and trees are stored.

    ``references`` holds the id of every tree and every content chunk the point names,
    including content reused from the parent: the set a commit can check or mark.
    ``committed`` runs after the point document is written, still under the lock.
    """

    kind: str
    root: str
    paths: list[str]
    stats: dict[str, int]
    references: set[bytes]
    errors: list[str] = field(default_factory=list)
    parent: str | None = None
    committed: Callable[[str], None] | None = None


def commit_point(repo: ArchiverRepository, header: PointHeader, save: Callable[[], SavedItems]) -> PointInfo:
    """Run ``save`` in a repository session, then write the point document it describes.

    An exception from ``save`` (a command that failed at end of input, a storage error)
    propagates before the point document is written, so a failed backup commits nothing.
    The commit itself checks that everything ``saved.references`` names is still stored
    (docs/repository-format.md, "Backup sessions and the commit check").
    """
    started = time.monotonic()
    with repo.session():
        saved = save()
        stats = {**saved.stats, "duration_seconds": round(time.monotonic() - started, 3)}
        point = PointInfo(
            id=secrets.token_hex(16), workload=header.workload, host=header.host, time=header.time,
            partial=bool(saved.errors), stats=stats, meta=dict(header.meta), kind=saved.kind,
            root=saved.root, paths=saved.paths, errors=saved.errors, tool_version=bkctl_version(),
            parent=saved.parent)
        repo.commit_point(point, saved.references)
        if saved.committed is not None:
            saved.committed(point.id)
    return point


def save_trees(repo: ArchiverRepository, nodes: list[Node], compression: int | None,
               references: set[bytes]) -> str:
    """Save trees bottom-up, adding every tree and chunk id to ``references``; returns the root id."""
    nodes = [node for node in nodes if "_failed" not in node]
    for node in nodes:
        if "_children" in node:
            node["subtree"] = save_trees(repo, node.pop("_children"), compression, references)
        content = node.get("content")
        if content:
            references.update(map(bytes.fromhex, content))
    tree_id = repo.save_blob("t", encode_tree(nodes), compression).blob_id
    references.add(tree_id)
    return tree_id.hex()


def bkctl_version() -> str:
    return str(getattr(bkctl, "__version__", "0.1.0"))
