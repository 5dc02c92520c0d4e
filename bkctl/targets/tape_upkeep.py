"""The tape driver's upkeep: restore maps with estimates, verification, scan summaries, the
"reclaim" of a library (which frees nothing), and moving cartridges a mail-slot load at a time.

Verification re-reads whole points (a tape's unit of reading), a random share of them as
``read_data`` asks, and authenticates every blob; points with a cartridge off-site are
skipped (they cannot be loaded) rather than reported as damage.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from bkctl.archiver import Progress
from bkctl.errors import RepositoryCorruptError
from bkctl.model.state import PointRecord
from bkctl.model.tape_state import CartridgeNeed, RestoreMap, ScanSummary
from bkctl.tape import ScanResult, TapeLibrary, Timing, estimate_read
from bkctl.tape.catalog import CatalogPoint
from bkctl.targets.base import ReclaimResult, VerifyResult

__all__ = ["CartridgeReclaim", "mail_slot_batches", "restore_map_of", "scan_summary", "verify_share"]


@dataclass(frozen=True)
class CartridgeReclaim(ReclaimResult):
    """A tape "reclaim": nothing is deleted; recycling happens when a write needs a cartridge."""

    cartridges_recyclable: int = 0
    points_forgotten: int = 0

    def describe(self) -> str:
        return (f"nothing deleted on tape; {self.cartridges_recyclable} cartridge(s) recyclable when a write "
                f"needs one; {self.points_forgotten} pruned point(s) of recycled cartridges forgotten")


def mail_slot_batches(library: TapeLibrary, barcodes: list[str]) -> list[list[str]]:
    """An export or import moves at most as many cartridges as there are mail slots at a time."""
    size = max(1, library.changer.description.mail_slots)
    return [barcodes[i:i + size] for i in range(0, len(barcodes), size)]


def restore_map_of(library: TapeLibrary, entry: CatalogPoint, timing: Timing) -> RestoreMap:
    """Every cartridge the point needs, in reading order, and the load/locate/rate estimate."""
    needs = tuple(CartridgeNeed(barcode=n.barcode, location=n.location, recall_seconds=n.recall_seconds)
                  for n in library.restore_map(entry.id))
    recall = max((n.recall_seconds for n in needs), default=0)
    estimate = estimate_read(timing, entry.stored_bytes, len(needs), recall)
    return RestoreMap(entry.id, needs, entry.stored_bytes, estimate.seconds)


def verify_share(library: TapeLibrary, records: list[PointRecord], percent: float,
                 progress: Progress | None) -> VerifyResult:
    """Re-read ``percent`` of the points; ``packs_read`` counts the cartridges loaded.

    Progress counts what is read from the media: one "file" per cartridge load and the
    bytes of each point's stream on tape (announced up front as the total).
    """
    problems: list[str] = []
    damaged: list[str] = []
    chosen = random.sample(records, math.ceil(len(records) * percent / 100)) if records else []
    streams = {entry.id: entry.stream_length for _, entry in library.points()}
    maps = [(record, library.restore_map(record.id)) for record in chosen]
    onsite = [(record, needs) for record, needs in maps if not any(n.offsite for n in needs)]
    if progress is not None:
        progress.total(sum(len(needs) for _, needs in onsite), sum(streams.get(r.id, 0) for r, _ in onsite))
    cartridges = 0
    for record, needs in onsite:
        if progress is not None:
            for need in needs:
                progress.file(need.barcode)
        try:
            result = library.verify(record.id)
        except RepositoryCorruptError as error:
            problems.append(f"point {record.id[:12]}: {error.message}")
            damaged.append(record.id)
            continue
        cartridges += len(result.cartridges)
        if progress is not None:
            progress.advance(streams.get(record.id, 0))
    return VerifyResult(not problems, problems, damaged, [], cartridges)


def scan_summary(result: ScanResult) -> ScanSummary:
    return ScanSummary(len(result.catalogs), sum(len(c.points) for c in result.catalogs.values()),
                       len(result.cartridges), sum(c.blocks_read for c in result.cartridges), tuple(result.skipped))
