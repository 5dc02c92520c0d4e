"""A GFS tape library in a known state, for the planner's tape tests and the tape golden files.

On Tuesday 2026-03-03 03:00 UTC: daily points of 'docs' on disk since 2026-01-01; on tape
weekly points of February (one per cartridge), February's monthly set still appendable,
November's monthly cartridge expired in the vault, a yearly WORM cartridge, and no
scratch data cartridge left. Cartridge BK0003TT was left dirty and one media set's
catalog on tape is newer than the local copy.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bkctl.model.manifest import Manifest
from bkctl.model.state import ActualState, PointRecord, TargetState, fingerprint_points
from bkctl.model.tape_state import TapeCartridge, TapeMediaSet, TapePlacement, TapeState
from bkctl.planner.retention import apply_retention

NOW = datetime(2026, 3, 3, 3, 0, tzinfo=UTC)
HOST = "web-01"
MiB = 1 << 20


def tape_manifest(*, cartridges: int = 8, worm: int = 2, extra_pools: dict | None = None) -> Manifest:
    pools = {"weekly": {"allocation": "weekly", "retention": "4w", "receives": "weekly"},
             "monthly": {"allocation": "monthly", "retention": "3mo", "receives": "monthly", "offsite": "offsite"},
             "yearly": {"allocation": "yearly", "retention": "keep", "receives": "yearly", "worm": True},
             **(extra_pools or {})}
    return Manifest.model_validate({
        "version": 1,
        "targets": {
            "nearline": {"type": "disk", "path": "n"},
            "tape-lib": {"type": "tape", "library": "lib", "media": "test", "cartridges": cartridges,
                         "worm_cartridges": worm, "copy_from": "nearline", "pool": "weekly", "pools": pools,
                         "vaults": {"offsite": {"path": "vault", "recall": "2d"}}},
        },
        "policies": {"daily": {"schedule": {"every": "1d"},
                               "retention": {"daily": 7, "weekly": 5, "monthly": 4, "yearly": 2}}},
        "workloads": {"docs": {"type": "files", "paths": ["/srv/docs"], "policy": "daily",
                               "targets": ["nearline"]}},
    })


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T02:00:00+00:00")


def point_id(moment: datetime) -> str:
    return f"d{moment:%Y%m%d}" + "0" * 23


def disk_points(first: str = "2026-01-01", last: datetime = NOW) -> tuple[PointRecord, ...]:
    """One point a day up to ``last``, thinned as the daily policy's retention has thinned them."""
    start, days = at(first), (last - at(first)).days + 1
    made = [PointRecord(id=point_id(start + timedelta(days=n)), workload="docs", host=HOST,
                        time=start + timedelta(days=n), bytes=3 * MiB) for n in range(days)]
    retention = tape_manifest().policies["daily"].retention
    kept = {v.key for v in apply_retention(retention, [(p.time, p.id) for p in made]) if v.kept}
    return tuple(p for p in made if p.id in kept)


def cartridge(barcode: str, state: str, pool: str | None, media_set: str | None, *, written: str | None = None,
              location: str | None = None, worm: bool = False, dirty: bool = False, used: int = 3 * MiB,
              index: int = 0) -> TapeCartridge:
    number = int(barcode[2:6])
    return TapeCartridge(barcode=barcode, worm=worm, state=state, location=location or f"slot {number % 9000}",
                         media_set=media_set, set_index=index if media_set else None, pool=pool,
                         capacity=64 * MiB, used=used if media_set else 4096, loads=3, dirty=dirty,
                         last_written=at(written) if written else None)


def placement(day: str, pool: str, media_set: str, *cartridges: str) -> TapePlacement:
    return TapePlacement(id=point_id(at(day)), workload="docs", host=HOST, time=at(day), pool=pool,
                         media_set=media_set, cartridges=cartridges, stored_bytes=3 * MiB)


def media_set(name: str, pool: str, period: str, created: str, *cartridges: str) -> TapeMediaSet:
    allocation = {"weekly": "weekly", "monthly": "monthly", "yearly": "yearly"}[pool]
    return TapeMediaSet(id=name, pool=pool, allocation=allocation, period=period, created=at(created),
                        cartridges=cartridges)


def library() -> TapeState:
    cartridges = (
        cartridge("BK0001TT", "used", "weekly", "w06", written="2026-02-03"),
        cartridge("BK0002TT", "used", "weekly", "w07", written="2026-02-10"),
        cartridge("BK0003TT", "used", "weekly", "w08", written="2026-02-17", dirty=True),
        cartridge("BK0004TT", "append", "weekly", "w09", written="2026-02-24"),
        cartridge("BK0005TT", "append", "monthly", "m02", written="2026-02-02"),
        cartridge("BK0006TT", "used", "monthly", "m12", written="2025-12-02", location="vault:offsite"),
        cartridge("BK9001TW", "used", "yearly", "y26", written="2026-01-01", worm=True),
        cartridge("BK9002TW", "scratch", None, None, worm=True),
    )
    sets = (media_set("m12", "monthly", "2025-12", "2025-12-02", "BK0006TT"),
            media_set("y26", "yearly", "2026", "2026-01-01", "BK9001TW"),
            media_set("m02", "monthly", "2026-02", "2026-02-02", "BK0005TT"),
            media_set("w06", "weekly", "2026-W06", "2026-02-03", "BK0001TT"),
            media_set("w07", "weekly", "2026-W07", "2026-02-10", "BK0002TT"),
            media_set("w08", "weekly", "2026-W08", "2026-02-17", "BK0003TT"),
            media_set("w09", "weekly", "2026-W09", "2026-02-24", "BK0004TT"))
    placements = (placement("2025-11-30", "monthly", "m12", "BK0006TT"),
                  placement("2025-12-31", "yearly", "y26", "BK9001TW"),
                  placement("2026-01-31", "monthly", "m02", "BK0005TT"),
                  placement("2026-02-01", "weekly", "w06", "BK0001TT"),
                  placement("2026-02-08", "weekly", "w07", "BK0002TT"),
                  placement("2026-02-15", "weekly", "w08", "BK0003TT"),
                  placement("2026-02-22", "weekly", "w09", "BK0004TT"))
    slots = tuple(c.barcode if not c.offsite else None for c in cartridges)
    return TapeState(media="test", capacity=64 * MiB, early_warning=8 * MiB, slots=slots, drives=(None,),
                     mail_slots=(None,), vaults={"offsite": 172800}, cartridges=cartridges, media_sets=sets,
                     placements=placements, out_of_sync=("w08",))


def tape_target(tape: TapeState, *, name: str = "tape-lib") -> TargetState:
    records = tuple(PointRecord(id=p.id, workload=p.workload, host=p.host, time=p.time, bytes=3 * MiB,
                                stored_bytes=p.stored_bytes) for p in tape.placements if not p.expired)
    return TargetState(name=name, reachable=True, initialized=True, points=records,
                       fingerprint=fingerprint_points(records), tape=tape)


def gfs_state(tape: TapeState | None = None) -> ActualState:
    near = disk_points()
    return ActualState(host=HOST, targets={
        "nearline": TargetState(name="nearline", reachable=True, initialized=True, points=near,
                                fingerprint=fingerprint_points(near)),
        "tape-lib": tape_target(tape or library())})
