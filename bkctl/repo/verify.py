"""Verify: structure always, and a chosen share of the packs read and authenticated.

Results name damaged recovery points and the files within them, because "pack 3f2a is
bad" tells an operator nothing about what they can no longer restore.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bkctl.errors import BkctlError, NotFoundError
from bkctl.repo.blobs import blob_associated_data
from bkctl.repo.crypto import decompress
from bkctl.repo.pack import IndexEntry
from bkctl.repo.reachability import point_nodes

if TYPE_CHECKING:
    from bkctl.repo.repository import Repository

__all__ = ["VerifyReport", "verify"]


@dataclass
class VerifyReport:
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    damaged_points: list[str] = field(default_factory=list)
    damaged_files: list[str] = field(default_factory=list)
    packs_read: int = 0
    blobs_read: int = 0

    def problem(self, text: str) -> None:
        self.ok = False
        self.problems.append(text)


def verify(repo: Repository, read_data_percent: float = 0.0,
           advance: Callable[[int], None] | None = None) -> VerifyReport:
    """Check structure, and read ``read_data_percent`` of the packs in full.

    ``advance`` is called with the size of each pack read (a progress bar's ``advance``).
    """
    report = VerifyReport()
    repo.reload_index()
    repo.load_tree.cache_clear()
    try:
        index = repo.index
        points = repo.list_points()
    except BkctlError as exc:
        report.problem(exc.message)
        return report
    by_pack: dict[str, list[tuple[bytes, IndexEntry]]] = {}
    for blob_id, entry in index.entries.items():
        by_pack.setdefault(entry.pack, []).append((blob_id, entry))
    stored = set(repo.store.list("data/"))
    damaged: set[bytes] = set()
    for pack in sorted(set(by_pack) - stored):
        report.problem(f"pack {pack} is missing")
        damaged.update(blob_id for blob_id, _ in by_pack[pack])
    candidates = sorted(set(by_pack) & stored)
    count = math.ceil(len(candidates) * min(read_data_percent, 100.0) / 100.0)
    for pack in random.sample(candidates, count):
        damaged |= _read_pack(repo, pack, by_pack[pack], report, advance)
    for point in points:
        _check_point(repo, point.id, point.root, damaged, report)
    return report


def _read_pack(repo: Repository, pack: str, items: list[tuple[bytes, IndexEntry]],
               report: VerifyReport, advance: Callable[[int], None] | None) -> set[bytes]:
    try:
        data = repo.store.get(pack)
    except NotFoundError:
        report.problem(f"pack {pack} is missing")
        return {blob_id for blob_id, _ in items}
    report.packs_read += 1
    bad = set()
    for blob_id, entry in items:
        sealed = data[entry.offset : entry.offset + entry.length]
        try:
            what = f"blob {blob_id.hex()} in pack {pack}"
            plain = repo.key.open(sealed, blob_associated_data(entry.kind, blob_id), what)
            if repo.key.blob_id(decompress(plain, entry.raw_length)) != blob_id:
                raise BkctlError(f"{what} does not match its id")
        except BkctlError as exc:
            report.problem(exc.message)
            bad.add(blob_id)
        report.blobs_read += 1
    if advance is not None:
        advance(len(data))
    return bad


def _check_point(repo: Repository, point_id: str, root: str, damaged: set[bytes],
                 report: VerifyReport) -> None:
    bad = False
    try:
        for path, node in point_nodes(repo, root):
            for chunk in node.get("content", ()):
                blob_id = bytes.fromhex(chunk)
                if blob_id in damaged or blob_id not in repo.index:
                    report.problem(f"point {point_id}: file {path} has a missing or damaged "
                                   f"chunk {chunk[:16]}")
                    if path not in report.damaged_files:
                        report.damaged_files.append(path)
                    bad = True
                    break
    except BkctlError as exc:
        report.problem(f"point {point_id}: {exc.message}")
        bad = True
    if bad:
        report.damaged_points.append(point_id)
