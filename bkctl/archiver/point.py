"""The shared tail of every backup: the session, the trees, the point document, the commit.

Order of writes (the crash-safety argument): packs, then the index object, then the
point document. Killing the process at any moment leaves either a complete point or no
point plus unreferenced packs that ``reclaim`` removes. The lock and the commit live here
and only here, so both kinds of items commit the same way.
"""

from __future__ import annotations

import hashlib
import marshal
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

__all__ = ["PointHeader", "SavedItems", "TreeReuse", "commit_point", "save_trees", "bkctl_version"]


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


@dataclass
class TreeReuse:
    """The parent's trees by folder, so an unchanged folder skips encoding and saving its tree.

    ``parent`` maps a stored folder path ("" for the root) to ``(tree id, fingerprint)``
    as saved by the parent point; ``saved`` collects the same for this backup. The
    fingerprint is a BLAKE2b digest of the folder's nodes in ``marshal`` form (about a third
    of the cost of the canonical encoding and its keyed hash): marshal output decodes back
    to its values, so equal fingerprints mean equal nodes, and the encoding is
    deterministic, so the parent's tree id is the id the folder would get. What marshal
    spells differently for equal values (key order, interned strings, another Python)
    only costs a miss. ``usable`` (the index) refuses a tree a reclaim has
    marked; the id still joins the references, so the commit check catches a reclaim
    that runs after this test.
    """

    parent: Mapping[str, tuple[str, str]]
    usable: Callable[[bytes], bool]
    saved: dict[str, tuple[str, str]] = field(default_factory=dict)
    reused: int = 0

    def tree_id(self, repo: ArchiverRepository, path: str, nodes: list[Node],
                compression: int | None) -> bytes:
        fingerprint = hashlib.blake2b(marshal.dumps(nodes, 2)).hexdigest()
        previous = self.parent.get(path)
        if previous is not None and previous[1] == fingerprint and self.usable(
                tree_id := bytes.fromhex(previous[0])):
            self.reused += 1
        else:
            tree_id = repo.save_blob("t", encode_tree(nodes), compression).blob_id
        self.saved[path] = (tree_id.hex(), fingerprint)
        return tree_id


def save_trees(repo: ArchiverRepository, nodes: list[Node], compression: int | None,
               references: set[bytes], reuse: TreeReuse | None = None, path: str = "") -> str:
    """Save trees bottom-up, adding every tree and chunk id to ``references``; returns the root id.

    With ``reuse``, a folder whose nodes equal the parent's takes the parent's tree id;
    the walk still descends into it, so every id below is referenced as before.
    """
    nodes = [node for node in nodes if "_failed" not in node]
    for node in nodes:
        if "_children" in node:
            below = f"{path}/{node['name']}" if path else node["name"]
            node["subtree"] = save_trees(repo, node.pop("_children"), compression, references, reuse, below)
        content = node.get("content")
        if content:
            references.update(map(bytes.fromhex, content))
    if reuse is None:
        tree_id = repo.save_blob("t", encode_tree(nodes), compression).blob_id
    else:
        tree_id = reuse.tree_id(repo, path, nodes, compression)
    references.add(tree_id)
    return tree_id.hex()


def bkctl_version() -> str:
    return str(getattr(bkctl, "__version__", "0.1.0"))
