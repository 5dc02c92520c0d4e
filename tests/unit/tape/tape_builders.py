"""Hand-built catalogs and attributes for the pure tape functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bkctl.tape.attributes import MediumAttributes
from bkctl.tape.catalog import CatalogPoint, Part, SetCatalog

DAY0 = datetime(2024, 3, 4, 2, 0, tzinfo=UTC)


def day(n: float) -> datetime:
    return DAY0 + timedelta(days=n)


def point(point_id: str, on: list[str], at: float, base: str | None = None) -> CatalogPoint:
    document = {"id": point_id, "workload": "w", "host": "h", "time": day(at).isoformat()}
    parts = tuple(Part(c, 2, 0, 0) for c in on)
    return CatalogPoint(point_id, document, "incremental" if base else "full", base, day(at).isoformat(), parts,
                        0, (0, 0), 0, 0)


def media_set(points: list[CatalogPoint], cartridges: list[str], pool: str = "weekly",
              name: str = "s1", created: float = 0) -> SetCatalog:
    return SetCatalog(name, pool, "continue", day(created).isoformat(), "", tuple(cartridges), tuple(points))


def cartridge(barcode: str, state: str = "full", media_set: str | None = "s1", worm: bool = False,
              last_written: float | None = None) -> MediumAttributes:
    written = day(last_written).isoformat() if last_written is not None else None
    return MediumAttributes(barcode, worm=worm, state=state, media_set=media_set, last_written=written)
