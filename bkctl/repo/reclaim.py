"""Reclaim: delete data no recovery point references, without ever blocking backups.

Two-phase (the protocol is written out in docs/repository-format.md):

1. *Mark.* Packs no point references (and packs left by interrupted backups, which no
   index lists) are named in a sealed mark; packs mostly unused are first repacked
   (their used blobs copied, sealed as they are, into new indexed packs) and then
   marked too. From the moment a mark exists, backups stop deduplicating against its
   packs. The mark then records the locks present after it was written.
2. *Delete* (a later reclaim). A mark is ripe when its grace period has passed and
   none of the locks it recorded remains: every run that could have deduplicated
   against its packs has finished. Its packs are deleted unless a point committed
   since references one of their blobs without another stored copy (such a pack
   simply stays). The index is rewritten without the deleted packs before any pack
   is deleted, so at every moment every index entry's pack exists.

Runs under a ``maintenance`` lock, which backups do not conflict with. ``immediate``
takes an ``exclusive`` lock instead (no backup can be running) and deletes at once:
``bkctl reclaim --now``, for a full disk.

A repository with damaged point documents or index objects is refused: reclaim cannot
know what they reference, and guessing deletes data.

In a store that locks objects (S3 Object Lock, docs/vault.md) ``held`` names the packs whose
retention has not ended: they are neither repacked, marked nor deleted (the storage would
refuse, and a repack would only add locked copies), and a later reclaim takes them once
their date has passed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.crashpoints import crash_point
from bkctl.repo.index import Index, encode_index, new_index_name
from bkctl.repo.lock import read_locks
from bkctl.repo.marks import Mark, new_mark
from bkctl.repo.pack import PACK_TARGET_SIZE, IndexEntry, PackBuilder, pack_name_matches, read_pack_header
from bkctl.repo.reachability import used_blobs
from bkctl.repo.repository import Repository

__all__ = ["DEFAULT_GRACE", "ReclaimStats", "reclaim"]

DEFAULT_GRACE = timedelta(hours=1)
"""A mark waits this long even when no lock holds it back: a margin for a run that lost
its lock while suspended (it re-checks before committing) and for clocks that differ."""

logger = logging.getLogger("bkctl")
Items = list[tuple[bytes, IndexEntry]]


@dataclass
class ReclaimStats:
    """What one reclaim did; ``*_marked`` is deleted by a later reclaim."""

    packs_deleted: int = 0
    bytes_freed: int = 0
    packs_marked: int = 0
    bytes_marked: int = 0
    packs_repacked: int = 0
    packs_kept: int = 0
    unused_blobs_kept: int = 0
    marks_waiting: int = 0
    locked: set[str] = field(default_factory=set)  # unreferenced packs left alone: their object lock holds

    @property
    def packs_locked(self) -> int:
        return len(self.locked)


Held = Callable[[set[str]], set[str]]
"""Those of some pack names the store must not delete yet (their object lock holds)."""


@dataclass
class _Survey:
    """The repository as one reclaim sees it, read fresh from the store."""

    index: Index
    used: set[bytes]
    by_pack: dict[str, Items]
    stored: set[str]
    marks: list[Mark] = field(default_factory=list)


def reclaim(repo: Repository, *, grace: timedelta = DEFAULT_GRACE, immediate: bool = False,
            held: Held | None = None) -> ReclaimStats:
    """Delete ripe marks' packs, then mark what is unreferenced now (or delete it at once).

    Which marks are ripe is decided *before* the points are read: a run that held one
    of a mark's locks has committed by then, so its point is among those read.
    """
    repo.require("owner", "manager", doing="reclaim space")
    stats = ReclaimStats()
    held = held or _nothing_held
    with repo.lock("exclusive" if immediate else "maintenance") as lock:
        repo.refresh_index()
        ripe, waiting = ([], []) if immediate else _ripe_marks(repo, list(repo.marks.marks), grace, lock.name)
        survey = _survey(repo)
        if immediate:
            doomed = _doomed(repo, survey, stats, pending=frozenset(), held=held)
            _delete(repo, survey, doomed | {p for m in survey.marks for p in m.packs}, survey.marks, stats, held)
        else:
            stats.marks_waiting = len(waiting)
            _delete(repo, survey, {p for m in ripe for p in m.packs}, ripe, stats, held)
            pending = frozenset(p for m in waiting for p in m.packs)
            doomed = _doomed(repo, survey, stats, pending=pending, held=held)
            if doomed:
                _mark(repo, survey, doomed, stats, own_lock=lock.name)
    repo.reload_index()
    return stats


def _nothing_held(names: set[str]) -> set[str]:
    return set()


def _survey(repo: Repository) -> _Survey:
    points = repo.list_points()
    index = repo.refresh_index()
    damaged = sorted(n for n in repo.damaged if n.startswith(("points/", "index/")))
    if damaged:
        raise RepositoryCorruptError(
            f"reclaim refuses to run: {len(damaged)} damaged object(s), first {damaged[0]}",
            hint="run `bkctl verify`; `bkctl repair index` rebuilds a damaged index; a damaged point "
            "can be removed with `bkctl forget`")
    for name in repo.marks.damaged:
        logger.warning("removing damaged mark %s (its packs stay until marked again)", name)
        repo.store.delete(name)
    return _Survey(index, used_blobs(repo, points), index.by_pack(), set(repo.store.list("data/")),
                   list(repo.marks.marks))


def _ripe_marks(repo: Repository, marks: list[Mark], grace: timedelta, own: str) -> tuple[list[Mark], list[Mark]]:
    held = {lock.name for lock in read_locks(repo.store)} - {own}
    now = datetime.now(UTC)
    ripe, waiting = [], []
    for mark in marks:
        if not mark.ready:  # reclaims are serialised: this one's writer died between its two writes
            repo.store.delete(mark.name)
        elif mark.ready and now - mark.time >= grace and not held & set(mark.locks or ()):
            ripe.append(mark)
        else:
            waiting.append(mark)
    return ripe, waiting


def _doomed(repo: Repository, survey: _Survey, stats: ReclaimStats, *, pending: frozenset[str],
            held: Held) -> set[str]:
    """Packs to mark: unused, repacked, or never indexed; ``pending`` are already marked,
    ``held`` packs are left alone (counted in ``packs_locked``)."""
    doomed: set[str] = set()
    repack: dict[str, Items] = {}
    for pack, items in survey.by_pack.items():
        if pack in pending or pack not in survey.stored:
            continue
        used_bytes = sum(entry.length for blob_id, entry in items if blob_id in survey.used)
        if used_bytes == 0:
            doomed.add(pack)
        elif used_bytes * 2 < sum(entry.length for _, entry in items):
            repack[pack] = items
        else:
            stats.packs_kept += 1
            stats.unused_blobs_kept += sum(1 for blob_id, _ in items if blob_id not in survey.used)
    doomed |= survey.stored - set(survey.by_pack) - pending  # left by interrupted backups
    locked = held(doomed | set(repack)) if doomed or repack else set()
    doomed -= locked
    repack = {pack: items for pack, items in repack.items() if pack not in locked}
    stats.locked |= locked
    if repack:
        _repack(repo, survey, repack)
        stats.packs_repacked = len(repack)
        doomed |= set(repack)
    return doomed


def _repack(repo: Repository, survey: _Survey, packs: dict[str, Items]) -> None:
    """Copy the used blobs of ``packs`` into new packs and index them (before any mark)."""
    entries: Items = []
    builder = PackBuilder()
    for pack, items in sorted(packs.items()):
        data = repo.store.get(pack)
        if not pack_name_matches(pack, data):  # never copy damage (a manager cannot open data blobs)
            raise RepositoryCorruptError(f"pack {pack}: its bytes no longer hash to its name (damaged)",
                                         hint="run `bkctl verify`; reclaim leaves a damaged repository alone")
        for blob_id, entry in items:
            if blob_id not in survey.used:
                continue
            sealed = data[entry.offset : entry.offset + entry.length]
            builder.add(blob_id, entry.kind, sealed, entry.raw_length)
            if builder.size >= PACK_TARGET_SIZE:
                entries += _store_pack(repo, builder)
                builder = PackBuilder()
    if builder.blobs:
        entries += _store_pack(repo, builder)
    name = new_index_name()
    repo.store.put(name, repo.sign_object(name, encode_index(repo.key, entries)))
    crash_point("reclaim-after-repack")
    survey.index.add(entries)
    survey.index.trusted.update(entry.pack for _, entry in entries)  # this key signed their index object
    for blob_id, entry in entries:
        survey.by_pack.setdefault(entry.pack, []).append((blob_id, entry))
        survey.stored.add(entry.pack)


def _store_pack(repo: Repository, builder: PackBuilder) -> Items:
    finished = builder.finish(repo.key)
    finished.store(repo.store)
    return finished.entries


def _mark(repo: Repository, survey: _Survey, doomed: set[str], stats: ReclaimStats, *, own_lock: str) -> None:
    """Write the mark, then record the locks that exist now (see :mod:`bkctl.repo.marks`)."""
    size = sum(entry.length for pack in doomed for _, entry in survey.by_pack.get(pack, []))
    mark = new_mark(doomed, size)
    repo.write_mark(mark)
    crash_point("reclaim-after-mark")
    held = tuple(sorted(lock.name for lock in read_locks(repo.store) if lock.name != own_lock))
    repo.write_mark(Mark(mark.id, mark.time, mark.packs, mark.bytes, held))
    stats.packs_marked, stats.bytes_marked = len(doomed), size


def _delete(repo: Repository, survey: _Survey, candidates: set[str], marks: list[Mark],
            stats: ReclaimStats, held: Held) -> None:
    """Delete the candidates nothing needs and no lock holds: index first, then packs, then the marks.

    A held pack of a ripe mark stays (indexed) when its mark goes; it is marked again once
    its lock has ended.
    """
    doomed = {pack for pack in candidates if _unneeded(repo, survey, pack, candidates)}
    locked = held(doomed) if doomed else set()
    doomed -= locked
    stats.locked |= locked
    if doomed & set(survey.by_pack):
        kept = [item for pack, items in survey.by_pack.items() if pack not in doomed for item in items]
        old = sorted(survey.index.objects)
        trusted = [item for item in kept if survey.index.trust_all or item[1].pack in survey.index.trusted]
        others = [item for item in kept if item not in trusted]  # a writer's listing stays a writer's
        for items, signed in ((trusted, True), (others, False)):
            if items:
                name, raw = new_index_name(), encode_index(repo.key, items)
                repo.store.put(name, repo.sign_object(name, raw) if signed else raw)
        crash_point("reclaim-after-index")
        for name in old:
            repo.store.delete(name)
    for pack in sorted(doomed):
        stats.bytes_freed += sum(entry.length for _, entry in survey.by_pack.get(pack, []))
        repo.store.delete(pack)
        crash_point("reclaim-mid-delete")
    for mark in marks:
        repo.store.delete(mark.name)
    stats.packs_deleted += len(doomed)
    for pack in doomed:
        survey.by_pack.pop(pack, None)
        survey.stored.discard(pack)


def _unneeded(repo: Repository, survey: _Survey, pack: str, candidates: set[str]) -> bool:
    """No referenced blob of ``pack`` lacks a stored copy outside the candidates."""
    items = survey.by_pack.get(pack)
    if items is None:
        if pack not in survey.stored:
            return False
        try:
            items = read_pack_header(repo.store, repo.key, pack)
        except RepositoryCorruptError:
            return True  # unindexed and unreadable: nothing can reference it
    for blob_id, _ in items:
        if blob_id in survey.used and not any(
                copy.pack not in candidates and copy.pack in survey.stored and _trusted(survey.index, copy.pack)
                for copy in survey.index.copies(blob_id)):
            return False
    return True


def _trusted(index: Index, pack: str) -> bool:
    """A copy a reclaim may count on before deleting another: listed by an owner or manager key.

    A writer's index objects can list anything (it holds the metadata key), fake copies
    included; a copy only a writer vouches for keeps the other copy's pack, and a later
    reclaim repacks it (its copies then vouched for) if it is mostly unused.
    """
    return index.trust_all or pack in index.trusted
