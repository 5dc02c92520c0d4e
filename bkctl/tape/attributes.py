"""Medium attributes: what a cartridge's memory chip (LTO's MAM) says about it, in plain JSON.

Nothing here is secret (no names of workloads or files): barcode, WORM, state, location,
counters, the dirty flag and which media set the cartridge belongs to. The library can
show them without the passphrase. ``attributes.json`` in the cartridge directory is
replaced atomically on every change.

States follow Bareos and Proxmox Backup Server: ``blank`` (never labelled), ``scratch``
(labelled, in no media set), ``append`` (the writable end of a media set), ``full`` (early
warning reached), ``used`` (its media set was closed by the pool's allocation),
``retired``, ``error``. "Purged" (every point on it expired) depends on retention, so it
is computed (see :mod:`bkctl.tape.recycling`), not stored.

``dirty`` is set when the cartridge is loaded and cleared on a clean unload;
``synced_records`` is the number of records it held when loaded, so after a crash the
next load checks every block written during the interrupted load against its checksum.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from bkctl.tape.durable import read_json, write_json

__all__ = ["STATES", "WRITABLE_STATES", "MediumAttributes", "load_attributes", "save_attributes"]

STATES = ("blank", "scratch", "append", "full", "used", "retired", "error")
WRITABLE_STATES = ("blank", "scratch", "append")
_FILE = "attributes.json"


@dataclass
class MediumAttributes:
    barcode: str
    worm: bool = False
    capacity: int = 0
    state: str = "blank"
    location: str = ""
    loads: int = 0
    bytes_written: int = 0
    bytes_read: int = 0
    dirty: bool = False
    synced_records: int = 0
    write_protected: bool = False
    labelled: str | None = None
    last_written: str | None = None
    media_set: str | None = None
    set_index: int | None = None
    pool: str | None = None
    catalog_digest: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_attributes(folder: Path) -> MediumAttributes:
    document = read_json(folder / _FILE)
    known = {f.name for f in fields(MediumAttributes)}
    return MediumAttributes(**{k: v for k, v in document.items() if k in known})


def save_attributes(folder: Path, attributes: MediumAttributes) -> None:
    write_json(folder / _FILE, attributes.as_dict())
