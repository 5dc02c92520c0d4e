"""Points pruned from the catalog: gone for listing and restore, still on tape until recycled.

Tape cannot delete one point: its cartridges hold it until they are recycled whole. So a
prune (``Target.delete_points``) records the point as expired here, as Bareos prunes job
records from its catalog while the volume keeps the data until it is purged and
recycled. The allocator treats these points as expired (a cartridge whose every point,
and every point depending on one, is expired may be recycled), and the driver no longer
lists them. The list lives beside the catalog and not in it, so a catalog rebuilt from
the cartridges (``scan``) does not bring pruned points back. Ids are random and carry no
content, so the file is plain JSON, replaced atomically like every state file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bkctl.tape.durable import read_json, write_json

__all__ = ["add_expired", "keep_expired", "load_expired"]

_FILE = "expired.json"


def load_expired(library: Path) -> frozenset[str]:
    path = library / _FILE
    if not path.is_file():
        return frozenset()
    return frozenset(read_json(path)["points"])


def add_expired(library: Path, ids: Iterable[str]) -> frozenset[str]:
    """Record ``ids`` as expired (idempotent); returns the whole list."""
    current = load_expired(library)
    wanted = current | set(ids)
    if wanted != current:
        write_json(library / _FILE, {"version": 1, "points": sorted(wanted)})
    return wanted


def keep_expired(library: Path, still_on_tape: Iterable[str]) -> int:
    """Forget expired ids no catalog lists any more (their cartridges were recycled); returns how many."""
    current = load_expired(library)
    kept = current & set(still_on_tape)
    if kept != current:
        write_json(library / _FILE, {"version": 1, "points": sorted(kept)})
    return len(current) - len(kept)
