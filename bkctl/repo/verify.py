"""Verify: trust nothing local. Structure always, and a chosen share of the packs in full.

Every object is read from the store, never from the local cache: damage that a warm
cache hides on this machine would otherwise surface only on the machine that restores
after a disaster. Checked: the config's authentication tag, every key object, index
object, mark and point document; that indexed packs exist; for packs read in full
(``read_data_percent``), that the bytes still hash to the pack's name, that the pack's
own header (the redundancy ``repair index`` rebuilds from) matches the index, and that
every blob authenticates, decompresses and re-hashes to its id; then, per point, its
trees and which files lost a chunk. Results name damaged points and files, because
"pack 3f2a is bad" tells an operator nothing about what they can no longer restore.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from bkctl.errors import BkctlError, NotFoundError
from bkctl.repo import config as repo_config
from bkctl.repo.index import Index
from bkctl.repo.keys import KeyObject
from bkctl.repo.pack import IndexEntry, pack_header_entries, pack_name_matches
from bkctl.repo.points import PointInfo
from bkctl.repo.reachability import point_nodes
from bkctl.repo.repository import Repository

__all__ = ["VerifyReport", "verify"]


@dataclass
class VerifyReport:
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    damaged_points: list[str] = field(default_factory=list)
    damaged_files: list[str] = field(default_factory=list)
    damaged_objects: list[str] = field(default_factory=list)
    packs_read: int = 0
    blobs_read: int = 0
    unindexed_packs: int = 0

    def problem(self, text: str, obj: str = "") -> None:
        self.ok = False
        self.problems.append(text)
        if obj and obj not in self.damaged_objects:
            self.damaged_objects.append(obj)


def verify(repo: Repository, read_data_percent: float = 0.0,
           advance: Callable[[int], None] | None = None,
           total: Callable[[int, int], None] | None = None,
           started: Callable[[str], None] | None = None) -> VerifyReport:
    """Check the repository as a machine without this one's cache would see it.

    ``started(pack)`` and ``advance(nbytes)`` are told of every pack read, ``total(packs,
    nbytes)`` once of the packs about to be read (a progress display's ``file``, ``advance``
    and ``total``; the repository layer sits below the archiver's Progress protocol, so it
    takes the methods).
    """
    repo.require("owner", "manager", doing="verify (it reads every point's trees)")
    report = VerifyReport()
    with repo.lock("shared"):
        _check_config(repo, report)
        _check_keys(repo, report)
        # Points first: a point is written after its index objects, so every point listed
        # here has its entries in the index listed next (backups run beside verify).
        points = _fresh_points(repo, report)
        index = _fresh_index(repo, report)
        repo.use_index(index)  # the walk below reads trees through this fresh index
        for name in repo.marks.damaged:
            report.problem(f"mark {name} failed authentication (damaged)", name)
        by_pack = index.by_pack()
        stored = set(repo.store.list("data/"))
        report.unindexed_packs = len(stored - set(by_pack) - repo.marks.packs)
        damaged: set[tuple[bytes, str]] = set()  # (blob id, pack) copies found bad
        for pack in sorted(set(by_pack) - stored):
            report.problem(f"pack {pack} is missing", pack)
            damaged.update((blob_id, pack) for blob_id, _ in by_pack[pack])
        candidates = sorted(set(by_pack) & stored)
        count = math.ceil(len(candidates) * min(max(read_data_percent, 0.0), 100.0) / 100.0)
        chosen = random.sample(candidates, count)
        if total is not None:
            total(len(chosen), sum(max(entry.offset + entry.length for _, entry in by_pack[p]) for p in chosen))
        for pack in chosen:
            if started is not None:
                started(pack)
            damaged |= _read_pack(repo, pack, by_pack[pack], report, advance)
        for point in points:
            _check_point(repo, point, damaged, report)
        _forget_pruned_meanwhile(repo, report)
    repo.reload_index()
    return report


def _check_config(repo: Repository, report: VerifyReport) -> None:
    try:
        document = repo_config.parse(repo.store.get("config"))
        if document.get("id") != repo.id:
            raise BkctlError("the repository id in config changed since it was opened")
        repo_config.authenticate(repo.key, document)
    except BkctlError as error:
        report.problem(f"config: {error.message}", "config")


def _check_keys(repo: Repository, report: VerifyReport) -> None:
    for name in repo.store.list("keys/"):
        try:
            KeyObject.from_bytes(name.removeprefix("keys/"), repo.store.get(name))
        except NotFoundError:
            continue
        except BkctlError as error:
            report.problem(error.message, name)


def _fresh_index(repo: Repository, report: VerifyReport) -> Index:
    index = repo.read_index(trust_cache=False)
    _report_damaged(repo, "index/", report, "rebuild it with `bkctl repair index`")
    repo.marks = repo.read_marks()
    index.set_marked(repo.marks.packs)
    return index


def _fresh_points(repo: Repository, report: VerifyReport) -> list[PointInfo]:
    decoded = repo.load_objects("points/", repo.decode_point, trust_cache=False)
    for name in _report_damaged(repo, "points/", report, "only this point is affected"):
        report.damaged_points.append(name.removeprefix("points/"))
    return sorted(decoded.values(), key=lambda point: (point.time, point.id))


def _report_damaged(repo: Repository, prefix: str, report: VerifyReport, hint: str) -> list[str]:
    names = sorted(name for name in repo.damaged if name.startswith(prefix))
    for name in names:
        report.problem(f"{repo.damaged[name]} ({hint})", name)
    return names


def _read_pack(repo: Repository, pack: str, items: list[tuple[bytes, IndexEntry]],
               report: VerifyReport, advance: Callable[[int], None] | None) -> set[tuple[bytes, str]]:
    try:
        data = repo.store.get(pack)
    except NotFoundError:
        report.problem(f"pack {pack} is missing", pack)
        return {(blob_id, pack) for blob_id, _ in items}
    report.packs_read += 1
    if not pack_name_matches(pack, data):
        report.problem(f"pack {pack}: its bytes no longer hash to its name (damaged)", pack)
    _check_header(repo, pack, data, items, report)
    bad: set[tuple[bytes, str]] = set()
    for blob_id, entry in items:
        if not repo.cipher.can_read(entry.kind):
            continue  # a manager key: the pack's hash above is this blob's check
        sealed = data[entry.offset : entry.offset + entry.length]
        try:
            repo.cipher.open_blob(entry.kind, blob_id, sealed, entry.raw_length, f"blob {blob_id.hex()} in pack {pack}")
        except BkctlError as exc:
            report.problem(exc.message, pack)
            bad.add((blob_id, pack))
        report.blobs_read += 1
    if advance is not None:
        advance(len(data))
    return bad


def _check_header(repo: Repository, pack: str, data: bytes, items: list[tuple[bytes, IndexEntry]],
                  report: VerifyReport) -> None:
    """The header is the index's redundancy: it must list what the index says, exactly."""
    try:
        header = set(pack_header_entries(repo.key, pack, data))
    except BkctlError as error:
        report.problem(f"{error.message} (the index still finds its blobs; `bkctl repair index` could "
                       "not rebuild them from this pack)", pack)
        return
    missing = [blob_id for blob_id, entry in items if (blob_id, entry) not in header]
    if missing:
        report.problem(f"pack {pack}: its header does not list {len(missing)} blob(s) the index places "
                       f"there (first {missing[0].hex()[:16]})", pack)


def _forget_pruned_meanwhile(repo: Repository, report: VerifyReport) -> None:
    """A point found damaged that a prune deleted since it was listed is not damage."""
    gone = {point_id for point_id in report.damaged_points if not repo.store.exists(f"points/{point_id}")}
    if not gone:
        return
    report.damaged_points = [p for p in report.damaged_points if p not in gone]
    report.problems = [text for text in report.problems if not any(f"point {p}:" in text for p in gone)]
    report.ok = not report.problems


def _check_point(repo: Repository, point: PointInfo, damaged: set[tuple[bytes, str]],
                 report: VerifyReport) -> None:
    bad = False
    try:
        for path, node in point_nodes(repo, point.root):
            for chunk in node.get("content", ()):
                blob_id = bytes.fromhex(chunk)
                copies = repo.index.copies(blob_id)
                if all((blob_id, copy.pack) in damaged for copy in copies):
                    report.problem(f"point {point.id}: file {path} has a missing or damaged "
                                   f"chunk {chunk[:16]}")
                    if path not in report.damaged_files:
                        report.damaged_files.append(path)
                    bad = True
                    break
    except BkctlError as exc:
        report.problem(f"point {point.id}: {exc.message}")
        bad = True
    if bad and point.id not in report.damaged_points:
        report.damaged_points.append(point.id)
