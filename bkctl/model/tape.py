"""Tape vocabulary: media types, pools, off-site vaults and timing assumptions.

The media table is data the manifest, the planner (estimates, media refresh) and the tape
library all read, so it lives here with the models. Figures are the LTO consortium's
native (uncompressed) capacities and rates; load and locate times are typical
"load to ready" and "average file access" figures from drive data sheets. They are
assumptions for estimates only (nothing ever sleeps) and a target may override them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from bkctl.model.base import Strict, described
from bkctl.model.fields import DurationField, SizeField
from bkctl.model.units import DURATION_PATTERN, Duration, parse_duration

__all__ = [
    "ALLOCATIONS", "GFS_LEVELS", "MEDIA_TYPES", "MediaName", "MediaType", "PoolRetention", "TapePool",
    "TapeTiming", "TapeVault",
]

MediaName = Literal["LTO-5", "LTO-6", "LTO-7", "LTO-8", "LTO-9", "test"]
ALLOCATIONS = ("always", "continue", "weekly", "monthly", "yearly")
GFS_LEVELS = ("weekly", "monthly", "yearly")

_MB = 1000**2
_TB = 1000**4


@dataclass(frozen=True)
class MediaType:
    """One cartridge generation: what a blank cartridge holds and how fast a drive moves it.

    ``generation`` lets the planner warn when data kept longer than ``archival_years``
    (or past the generations a current drive still reads: LTO drives read one generation
    back) needs copying onto newer media. Barcode suffixes follow LTO labels (``L8`` data,
    ``LY`` WORM for LTO-8); the ``test`` type is a 64 MiB cartridge so spanning and
    recycling are testable in seconds, as Proxmox Backup Server's own tape tests do.
    """

    name: str
    generation: int
    capacity: int
    rate: int  # bytes per second, native
    load_seconds: float
    locate_seconds: float
    data_suffix: str
    worm_suffix: str
    archival_years: int = 30


MEDIA_TYPES: dict[str, MediaType] = {
    "LTO-5": MediaType("LTO-5", 5, 1500 * 1000**3, 140 * _MB, 12, 62, "L5", "LV"),
    "LTO-6": MediaType("LTO-6", 6, 2500 * 1000**3, 160 * _MB, 12, 50, "L6", "LW"),
    "LTO-7": MediaType("LTO-7", 7, 6 * _TB, 300 * _MB, 15, 60, "L7", "LX"),
    "LTO-8": MediaType("LTO-8", 8, 12 * _TB, 360 * _MB, 15, 51, "L8", "LY"),
    "LTO-9": MediaType("LTO-9", 9, 18 * _TB, 400 * _MB, 17, 56, "L9", "LZ"),
    "test": MediaType("test", 0, 64 << 20, 100 * _MB, 1, 1, "TT", "TW"),
}


def _pool_retention(value: Any) -> Duration | str:
    if value == "keep":
        return "keep"
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ValueError(f"{exc}; or 'keep' to keep for ever") from None


PoolRetention = Annotated[
    Duration | Literal["keep"],
    BeforeValidator(_pool_retention),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"anyOf": [{"const": "keep"}, {"type": "string", "pattern": DURATION_PATTERN}],
                    "examples": ["5w", "12mo", "keep"]}),
]


class TapePool(Strict):
    """A media pool: how its cartridges are grouped into media sets and how long they keep data."""

    description: str = described("What the pool is for.", "Monthly fulls, kept a year", default="")
    allocation: Literal["always", "continue", "weekly", "monthly", "yearly"] = described(
        "When a new media set (a fresh cartridge) starts: 'always' for every run, 'continue' "
        "appends for ever, 'weekly'/'monthly'/'yearly' once per calendar period (UTC).",
        "monthly",
        default="continue",
    )
    retention: PoolRetention | None = described(
        "How long a point written to this pool is kept, counted from the point's time; 'keep' "
        "never expires it. Absent: the retention of the workload's policy decides.",
        "12mo",
        default=None,
    )
    worm: bool = described(
        "Write to WORM cartridges only; they are never overwritten or recycled.", False, default=False
    )
    receives: Literal["weekly", "monthly", "yearly"] | None = described(
        "With copy_from: the source points this pool receives, those the source's retention keeps "
        "as weekly, monthly or yearly points (GFS); each point goes once, to the most senior pool due.",
        "monthly",
        default=None,
    )
    offsite: str | None = described(
        "A vault (one of the target's 'vaults') that this pool's cartridges go to once their media "
        "set is closed (its period is over, or the cartridge is full); apply plans the export, and "
        "brings a cartridge back when every point on it has expired, so it can be recycled.",
        "offsite",
        default=None,
    )


class TapeVault(Strict):
    """An off-site vault (a directory standing for a shelf elsewhere) that exported cartridges go to."""

    description: str = described("Where the vault is.", "Iron Mountain, Lyon", default="")
    path: str = described(
        "Directory holding the exported cartridges (relative paths are relative to the manifest file).",
        "/srv/tape-vault",
    )
    recall: DurationField = described(
        "Lead time to bring a cartridge back from this vault (shown when a restore needs one).", "2d",
        default="1d",
    )


class TapeTiming(Strict):
    """Assumptions for duration estimates; each defaults to the media type's figure."""

    rate: SizeField | None = described("Bytes per second a drive streams.", "300MB", default=None)
    load_seconds: float | None = described(
        "Seconds to load and thread a cartridge.", 15, default=None, ge=0
    )
    locate_seconds: float | None = described(
        "Seconds to position to a file on a loaded cartridge.", 50, default=None, ge=0
    )
