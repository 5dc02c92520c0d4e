"""Writing a recovery point from a repository onto tape.

One point becomes, on each cartridge it touches, a header file (point id, part number,
where in the point's stream this part starts, the cartridge before), a data file (the
stream: trees, then data, then the trailer; see :mod:`bkctl.tape.stream`) and, on the
last part, an end record (the catalog entry of the point), followed by the media set's
catalog. At early warning the data file is closed, the set's catalog written, and the
stream continues on the next cartridge after its media-set label and a new header.

With the target's ``format: incremental``, a point is based on the newest point of its
workload and host in the media set it goes to (a new set starts with a full): its trees
are written whole, its data chunks only when the base chain does not hold them already
(known from the chain's chunk lists, :mod:`bkctl.tape.chunklists`; one missing, and the
point is written whole). The header and the catalog entry name the base.

The point is committed when the catalog after it is on tape: a kill before that leaves a
torn session the next write to that cartridge erases; a kill after it leaves a local
catalog one point behind, which the next write (or ``scan``) takes from the tape.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import zstandard

from bkctl.errors import BkctlError
from bkctl.repo.crypto import MasterKey
from bkctl.repo.points import PointInfo
from bkctl.repo.repository import Repository
from bkctl.tape.allocation import Choice, choose_cartridge, current_set, period_of, set_is_open
from bkctl.tape.catalog import CatalogPoint, CatalogStore, Part, SetCatalog, base_chain, point_document
from bkctl.tape.changer import Changer
from bkctl.tape.description import block_size_for
from bkctl.tape.durable import canonical_json
from bkctl.tape.recovery import recover_dirty
from bkctl.tape.recycling import Expiry, PoolRule, expiry_rule
from bkctl.tape.rekey import PointBlobs, plan_blobs, sealed_chunk, sealed_trees
from bkctl.tape.setwriter import SetWriter
from bkctl.tape.stream import StreamWriter

__all__ = ["TRAILER_AD", "PointWriter"]

TRAILER_AD = b"bkctl-tape-trailer"
_log = logging.getLogger("bkctl")
_NO_ID = bytes(32)


class PointWriter:
    """Writes points into pools; one object per run (``always`` pools start one media set per run)."""

    def __init__(self, changer: Changer, key: MasterKey, store: CatalogStore, rules: Mapping[str, PoolRule],
                 now: datetime, expired: Expiry | None = None, *,
                 catalogs: dict[str, SetCatalog] | None = None) -> None:
        self.changer = changer
        self.key = key
        self.store = store
        self.rules = rules
        self.now = now
        self.expired = expired or expiry_rule(rules, now)
        self.catalogs = store.load_all() if catalogs is None else catalogs
        self.run_sets: set[str] = set()

    def write(self, source: Repository, point_id: str, pool: str) -> CatalogPoint:
        """Write one point into ``pool``; a point the pool already holds is not written again."""
        rule = self._rule(pool)
        point = source.get_point(point_id)
        with self.changer.session():
            recover_dirty(self.changer, self.key, self.store, self.catalogs)
            for catalog in self.catalogs.values():
                found = catalog.point(point.id) if catalog.pool == pool else None
                if found is not None:
                    return found
            blobs = plan_blobs(source, self.key, point.root)
            media_set = self._media_set(rule)
            base = self._base(media_set, point, rule)
            sets = SetWriter(self.changer, self.key, self.store, self.catalogs, media_set,
                             lambda media_set: self._choose(media_set, rule), self.now)
            session = _PointSession(sets, self.key, point, block_size_for(self.changer.description.capacity), base)
            try:
                entry = session.run(source, blobs)
            finally:
                if sets.drive is not None:
                    self.changer.unload(sets.drive)
            # Only after the commit: a list never names a chunk that is not on tape.
            self.store.chunk_lists.save(sets.catalog.media_set, entry.id, session.written)
            return entry

    def _rule(self, pool: str) -> PoolRule:
        if pool not in self.rules:
            raise BkctlError(f"no pool '{pool}' in this tape library", hint=f"pools: {', '.join(sorted(self.rules))}")
        return self.rules[pool]

    def _base(self, media_set: SetCatalog, point: PointInfo, rule: PoolRule) -> _Base | None:
        """What an incremental builds on: the newest point of the workload and host in the set.

        None (write a full) when the format is full, the set is new or holds no such
        point, a point of the chain has expired (a new chain starts instead of holding the
        expired ones' cartridges longer), or a chunk list of the chain is missing.
        """
        if rule.format != "incremental":
            return None
        same = [p for p in media_set.points if p.workload == point.workload and p.document["host"] == point.host]
        if not same:
            return None
        chain = base_chain(media_set, max(same, key=lambda p: (p.time, p.written)))
        if any(self.expired(media_set, p) for p in chain):
            return None
        held = self.store.chunk_lists.chain(media_set.media_set, [p.id for p in chain])
        if held is None:
            _log.warning("the chunk lists of tape point %s's chain are missing (catalog rebuilt by `tape scan`, "
                         "or a kill after its commit); writing point %s whole", chain[-1].id[:12], point.id[:12])
            return None
        return _Base(chain[-1].id, frozenset(held))

    def _media_set(self, rule: PoolRule) -> SetCatalog:
        current = current_set(self.catalogs, rule.name)
        if current is not None and set_is_open(current, rule, self.now, self.run_sets):
            return current
        if current is not None:
            last = self.changer.attributes(current.cartridges[-1])
            if last.state == "append":
                last.state = "used"  # its set is closed by the pool's allocation
                self.changer.save_attributes(last)
        created = SetCatalog(secrets.token_hex(16), rule.name, rule.allocation, self.now.isoformat(),
                             period_of(rule.allocation, self.now))
        self.run_sets.add(created.media_set)
        return created

    def _choose(self, media_set: SetCatalog, rule: PoolRule) -> Choice:
        cartridges = [self.changer.attributes(barcode) for barcode in self.changer.barcodes()]
        return choose_cartridge(cartridges, lambda b: self.changer.location(b).startswith("vault:"),
                                self.catalogs, media_set, rule, self.rules, self.expired)


@dataclass(frozen=True)
class _Base:
    """The point an incremental is based on, and the data chunks its chain already holds."""

    id: str
    held: frozenset[bytes]


class _PointSession:
    """The stream of one point, spanning cartridges through its SetWriter."""

    def __init__(self, sets: SetWriter, key: MasterKey, point: PointInfo, block_size: int,
                 base: _Base | None = None) -> None:
        self.sets = sets
        self.key = key
        self.point = point
        self.base = base
        self.format = "full" if base is None else "incremental"
        self.written: list[bytes] = []  # tape ids of the data chunks this stream holds
        self.parts: list[Part] = []
        self.stream = StreamWriter(block_size, self._emit)
        self._emitted = 0
        self._part_start = 0
        self._header_file = 0
        self._span_due = False

    def run(self, source: Repository, blobs: PointBlobs) -> CatalogPoint:
        self.sets.open(continues=None)
        self._begin_part()
        entries: list[list[object]] = []
        for tape_id, sealed, raw in sealed_trees(source, self.key, blobs):
            offset = self.stream.write_record(self.key, b"t", tape_id, sealed, raw)
            entries.append([tape_id.hex(), "t", offset, len(sealed), raw])
        held = self.base.held if self.base is not None else frozenset()
        for chunk_id in blobs.chunks:
            tape_id = blobs.chunk_ids[chunk_id]
            if tape_id in held:
                continue  # trees are always whole; data the base chain holds is not written again
            self.written.append(tape_id)
            sealed, raw = sealed_chunk(source, self.key, chunk_id, tape_id)
            offset = self.stream.write_record(self.key, b"d", tape_id, sealed, raw)
            entries.append([tape_id.hex(), "d", offset, len(sealed), raw])
        trailer = self._trailer(entries)
        trailer_offset = self.stream.write_record(self.key, b"T", _NO_ID, trailer, len(entries))
        self.stream.finish()
        return self._finish(blobs, len(entries), (trailer_offset, len(trailer)))

    def _trailer(self, entries: list[list[object]]) -> bytes:
        body = canonical_json({"version": 1, "point": self.point.id, "blobs": entries})
        return self.key.seal(zstandard.ZstdCompressor(level=3).compress(body), TRAILER_AD)

    def _begin_part(self) -> None:
        previous = self.parts[-1].cartridge if self.parts else None
        self._header_file = self.sets.write_document("header", {
            "version": 1, "point": self.point.id, "media_set": self.sets.catalog.media_set,
            "part": len(self.parts), "stream_start": self._part_start, "previous": previous,
            "base": self.base.id if self.base else None, "format": self.format, "block_size": self.stream.block_size})

    def _emit(self, block: bytes) -> None:
        if self._span_due:
            self._span()
        drive = self.sets.loaded
        drive.write_block(block)
        self._emitted += len(block)
        self._span_due = drive.early_warning

    def _end_part(self) -> None:
        drive = self.sets.loaded
        drive.write_filemark()
        self.parts.append(Part(drive.barcode, self._header_file, self._part_start, self._emitted))

    def _span(self) -> None:
        """Early warning: close this cartridge with the set's catalog, continue on the next."""
        self._end_part()
        self.sets.close(self.sets.catalog)
        self.sets.open(continues=self.point.id)
        self._part_start = self._emitted
        self._begin_part()
        self._span_due = False

    def _finish(self, blobs: PointBlobs, count: int, trailer: tuple[int, int]) -> CatalogPoint:
        self._end_part()
        document = point_document(self.point)
        document["root"] = blobs.root()
        entry = CatalogPoint(
            id=self.point.id, document=document, format=self.format,
            base=self.base.id if self.base else None, written=self.sets.now_text,
            parts=tuple(self.parts), stream_length=self._emitted, trailer=trailer, blobs=count,
            stored_bytes=self._emitted)
        self.sets.write_document("end", entry.to_json())
        self.sets.close(self.sets.catalog.with_point(entry))
        return entry
