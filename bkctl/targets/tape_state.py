"""A tape library as the planner sees it: the engine's catalog turned into model values.

The planner may not import the tape engine, so observation copies what it needs into
:class:`~bkctl.model.tape_state.TapeState`: cartridges (state, location, media set,
bytes up to end of data), media sets, and where every recovery point lies. Reading
touches only the library's plain files and the sealed local catalog; nothing is loaded,
and a cartridge a dead process left dirty stays marked (the next write re-checks it).
"""

from __future__ import annotations

from datetime import UTC, datetime

from bkctl.model.state import PointRecord
from bkctl.model.tape_state import TapeCartridge, TapeMediaSet, TapePlacement, TapeState
from bkctl.tape import Changer, TapeLibrary
from bkctl.tape.attributes import MediumAttributes
from bkctl.tape.catalog import CatalogPoint
from bkctl.tape.description import early_warning_for

__all__ = ["library_frame", "point_records", "record_of", "tape_state"]


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(UTC) if text else None


def _cartridge(changer: Changer, attributes: MediumAttributes) -> TapeCartridge:
    return TapeCartridge(
        barcode=attributes.barcode, worm=attributes.worm, state=attributes.state,
        location=changer.location(attributes.barcode), media_set=attributes.media_set,
        set_index=attributes.set_index, pool=attributes.pool,
        capacity=attributes.capacity or changer.description.capacity, used=changer.used_bytes(attributes.barcode),
        loads=attributes.loads, dirty=attributes.dirty, write_protected=attributes.write_protected,
        last_written=_time(attributes.last_written))


def library_frame(changer: Changer) -> TapeState:
    """Slot map and cartridges: what needs no passphrase (``bkctl tape status`` without one)."""
    description = changer.description
    cartridges = tuple(_cartridge(changer, changer.attributes(b)) for b in changer.barcodes())
    slots = changer.slot_map
    return TapeState(media=description.media, capacity=description.capacity,
                     early_warning=early_warning_for(description.capacity), slots=tuple(slots.slots),
                     drives=tuple(slots.drives), mail_slots=tuple(slots.mail_slots),
                     vaults={n: v.recall_seconds for n, v in description.vaults.items()}, cartridges=cartridges)


def tape_state(library: TapeLibrary, expired: frozenset[str]) -> TapeState:
    frame = library_frame(library.changer)
    sets = tuple(TapeMediaSet(id=c.media_set, pool=c.pool, allocation=c.allocation, period=c.period,
                              created=datetime.fromisoformat(c.created).astimezone(UTC), cartridges=c.cartridges)
                 for c in sorted(library.catalogs.values(), key=lambda c: (c.created, c.media_set)))
    placements = tuple(_placement(c.pool, c.media_set, p, p.id in expired) for c, p in library.points())
    return frame.model_copy(update={"media_sets": sets, "placements": placements,
                                    "out_of_sync": tuple(library.out_of_sync())})


def _placement(pool: str, media_set: str, point: CatalogPoint, expired: bool) -> TapePlacement:
    return TapePlacement(id=point.id, workload=point.workload, host=str(point.document["host"]), time=point.time,
                         pool=pool, media_set=media_set, cartridges=tuple(point.cartridges()), base=point.base,
                         stored_bytes=point.stored_bytes, expired=expired)


def point_records(library: TapeLibrary, expired: frozenset[str]) -> list[PointRecord]:
    """The points a tape target lists (pruned ones left out), oldest first, each once."""
    records: dict[str, PointRecord] = {}
    for _, point in library.points():
        if point.id not in expired and point.id not in records:
            records[point.id] = record_of(point)
    return list(records.values())


def record_of(point: CatalogPoint) -> PointRecord:
    """``bytes`` is the size backed up (as on disk); ``stored_bytes`` the point's stream on tape."""
    document = point.document
    stats = document.get("stats") or {}
    return PointRecord(
        id=point.id, workload=point.workload, host=str(document["host"]), time=point.time,
        partial=bool(document["partial"]), bytes=int(stats.get("bytes", stats.get("size", 0)) or 0),
        stored_bytes=point.stored_bytes, definition=str((document.get("meta") or {}).get("definition", "")))
