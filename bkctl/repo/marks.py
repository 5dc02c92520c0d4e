"""Marks: packs a reclaim found unreferenced, waiting to be deleted by a later reclaim.

``marks/<id>`` is a sealed JSON document ``{"version": 1, "time", "packs": [...],
"bytes", "locks": [...] | null}``. It is written twice: first without ``locks`` (from then
on backups stop deduplicating against its packs), then with the names of the locks that
existed after that first write. A mark is *ready* once ``locks`` is recorded; a ready
mark's packs may be deleted only when none of those locks remains, because only a run
that already held a lock before the mark existed can have deduplicated against them.
See docs/repository-format.md, "Two-phase reclaim".
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bkctl.errors import NotFoundError, RepositoryCorruptError
from bkctl.repo.crypto import MasterKey
from bkctl.store.base import BlobStore

__all__ = ["Mark", "MarkSet", "new_mark", "read_marks", "write_mark"]

_AD = b"bkctl-mark"


@dataclass(frozen=True)
class Mark:
    id: str
    time: datetime
    packs: tuple[str, ...]
    bytes: int
    locks: tuple[str, ...] | None = None

    @property
    def name(self) -> str:
        return f"marks/{self.id}"

    @property
    def ready(self) -> bool:
        return self.locks is not None


@dataclass(frozen=True)
class MarkSet:
    """Every readable mark, and the names of those that failed authentication."""

    marks: tuple[Mark, ...] = ()
    damaged: tuple[str, ...] = ()

    @property
    def packs(self) -> frozenset[str]:
        return frozenset(pack for mark in self.marks for pack in mark.packs)

    @property
    def bytes(self) -> int:
        return sum(mark.bytes for mark in self.marks)


def new_mark(packs: Iterable[str], size: int) -> Mark:
    return Mark(secrets.token_hex(16), datetime.now(UTC), tuple(sorted(packs)), size)


Envelope = Callable[[str, bytes], bytes]
"""Format 3 signs marks with the maintenance key that wrote them and checks that on reading
(Repository.sign_object / open_maintained): a writer cannot plant a mark that deletes packs."""


def write_mark(store: BlobStore, key: MasterKey, mark: Mark, sign: Envelope | None = None) -> None:
    document = {"version": 1, "time": mark.time.isoformat(), "packs": list(mark.packs),
                "bytes": mark.bytes, "locks": None if mark.locks is None else list(mark.locks)}
    raw = key.seal(json.dumps(document, sort_keys=True).encode(), _AD)
    store.put(mark.name, sign(mark.name, raw) if sign is not None else raw)


def read_marks(store: BlobStore, key: MasterKey, unsign: Envelope | None = None) -> MarkSet:
    """All marks in the store (never the cache: marks change while a backup runs)."""
    marks, damaged = [], []
    for name in store.list("marks/"):
        try:
            raw = store.get(name)
            marks.append(_decode(key, name, unsign(name, raw) if unsign is not None else raw))
        except NotFoundError:
            continue  # processed by a reclaim meanwhile
        except RepositoryCorruptError:
            damaged.append(name)
    return MarkSet(tuple(marks), tuple(damaged))


def _decode(key: MasterKey, name: str, raw: bytes) -> Mark:
    body = key.open(raw, _AD, what=f"mark {name}")
    try:
        document = json.loads(body)
        locks = document["locks"]
        return Mark(name.removeprefix("marks/"), datetime.fromisoformat(document["time"]),
                    tuple(str(p) for p in document["packs"]), int(document["bytes"]),
                    None if locks is None else tuple(str(lock) for lock in locks))
    except (ValueError, KeyError, TypeError) as exc:
        raise RepositoryCorruptError(f"mark {name} is unreadable: {exc}") from None
