"""The catalog: which recovery points a media set holds and where each part of them is.

One :class:`SetCatalog` per media set. The whole set's catalog is written onto the tape
after every point (and when a cartridge fills up), as Proxmox Backup Server does, and
kept locally in ``<library>/catalog/<media set>`` (sealed with the library key: it names
workloads and paths). The local copy is a cache: :mod:`bkctl.tape.scan` rebuilds it from
the cartridges alone, and the canonical JSON of a rebuilt catalog equals the original.

Membership comes from the media-set labels on the cartridges (see
:mod:`bkctl.tape.labels`), so when a cartridge is recycled into another set,
:func:`keep_members` drops the points that had a part on it (and the points based on
those) from its old set's catalog, both locally and in a rebuild.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import zstandard

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.crypto import MasterKey
from bkctl.repo.points import PointInfo
from bkctl.tape.chunklists import ChunkLists
from bkctl.tape.durable import canonical_json, replace_file

__all__ = ["CatalogPoint", "CatalogStore", "Part", "SetCatalog", "base_chain", "keep_members", "newer_on_tape",
           "place_cartridge", "point_document", "point_info"]

_AD = b"bkctl-tape-local-catalog"


@dataclass(frozen=True)
class Part:
    """One cartridge's share of a point: its header file and the stream bytes it holds."""

    cartridge: str
    file: int
    stream_start: int
    stream_end: int


@dataclass(frozen=True)
class CatalogPoint:
    id: str
    document: dict[str, Any]
    format: str
    base: str | None
    written: str
    parts: tuple[Part, ...]
    stream_length: int
    trailer: tuple[int, int]
    blobs: int
    stored_bytes: int

    @property
    def time(self) -> datetime:
        return datetime.fromisoformat(self.document["time"]).astimezone(UTC)

    @property
    def workload(self) -> str:
        return str(self.document["workload"])

    def cartridges(self) -> list[str]:
        return list(dict.fromkeys(part.cartridge for part in self.parts))

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "parts": [asdict(p) for p in self.parts], "trailer": list(self.trailer)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CatalogPoint:
        return cls(d["id"], d["document"], d["format"], d["base"], d["written"],
                   tuple(Part(**p) for p in d["parts"]), d["stream_length"],
                   (d["trailer"][0], d["trailer"][1]), d["blobs"], d["stored_bytes"])


@dataclass(frozen=True)
class SetCatalog:
    media_set: str
    pool: str
    allocation: str
    created: str
    period: str
    cartridges: tuple[str, ...] = ()
    points: tuple[CatalogPoint, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "media_set": self.media_set, "pool": self.pool, "allocation": self.allocation,
                "created": self.created, "period": self.period, "cartridges": list(self.cartridges),
                "points": [p.to_json() for p in self.points]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SetCatalog:
        return cls(d["media_set"], d["pool"], d["allocation"], d["created"], d["period"],
                   tuple(d["cartridges"]), tuple(CatalogPoint.from_json(p) for p in d["points"]))

    def canonical(self) -> bytes:
        return canonical_json(self.to_json())

    def digest(self) -> str:
        """What a cartridge's attributes remember of the catalog last written on it."""
        return hashlib.sha256(self.canonical()).hexdigest()

    def point(self, point_id: str) -> CatalogPoint | None:
        return next((p for p in self.points if p.id == point_id), None)

    def with_point(self, point: CatalogPoint) -> SetCatalog:
        return replace(self, points=(*self.points, point))


def base_chain(catalog: SetCatalog, point: CatalogPoint) -> list[CatalogPoint]:
    """The point and its bases, oldest (the full) first: what restoring the point reads.

    Incrementals live in their base's media set, so the chain is found in one catalog; a
    base it does not list means the catalog is damaged or out of date.
    """
    chain = [point]
    while chain[0].base is not None:
        base = catalog.point(chain[0].base)
        if base is None or base in chain:
            raise RepositoryCorruptError(f"base {chain[0].base} of tape point {chain[0].id} is not in the catalog",
                                         hint="run `bkctl tape scan` to rebuild the catalog from the cartridges")
        chain.insert(0, base)
    return chain


def keep_members(catalog: SetCatalog, members: list[str]) -> SetCatalog:
    """The catalog restricted to the cartridges still in the set, in set order.

    A point with a part on a cartridge that left the set is gone, and so is every point
    whose base is gone (recycling is chain-aware, so those had expired too).
    """
    gone: set[str] = set()
    kept = []
    for point in catalog.points:
        if any(c not in members for c in point.cartridges()) or (point.base is not None and point.base in gone):
            gone.add(point.id)
        else:
            kept.append(point)
    return replace(catalog, cartridges=tuple(members), points=tuple(kept))


def place_cartridge(catalogs: Mapping[str, SetCatalog], barcode: str, media_set: SetCatalog | None,
                    index_of: Callable[[str], int], *, rejoin: bool = False) -> list[SetCatalog]:
    """The catalogs that change when ``barcode`` belongs to ``media_set`` only (None: to no set).

    Every other set drops it, with the points that had a part on it; so does
    ``media_set`` itself when the cartridge ``rejoin``s it (recycled: what it held is
    gone). ``media_set`` then lists it in the order of the set indexes (``index_of``). A
    catalog left without cartridges means its set is gone.
    """
    target = media_set.media_set if media_set is not None else None
    changed = {}
    for catalog in catalogs.values():
        stays = catalog.media_set == target and not rejoin
        if barcode in catalog.cartridges and not stays:
            changed[catalog.media_set] = keep_members(catalog, [c for c in catalog.cartridges if c != barcode])
    if media_set is not None:
        current = changed.get(media_set.media_set, catalogs.get(media_set.media_set, media_set))
        if barcode not in current.cartridges:
            members = sorted([*current.cartridges, barcode], key=index_of)
            changed[media_set.media_set] = replace(current, cartridges=tuple(members))
    return list(changed.values())


def newer_on_tape(local: SetCatalog, on_tape: SetCatalog) -> SetCatalog | None:
    """The catalog read from a cartridge, limited to the current members, when it knows more points.

    Catalogs only grow by points between prunes, so "more" is "newer": a kill came after
    the catalog reached the tape and before the local copy was saved.
    """
    adopted = keep_members(on_tape, list(local.cartridges))
    known = {point.id for point in local.points}
    return adopted if {point.id for point in adopted.points} > known else None


def point_document(point: PointInfo) -> dict[str, Any]:
    """A recovery point as plain JSON (the fields of the repository's point document)."""
    return {"id": point.id, "workload": point.workload, "host": point.host,
            "time": point.time.astimezone(UTC).isoformat(), "partial": point.partial, "stats": point.stats,
            "meta": point.meta, "kind": point.kind, "root": point.root, "paths": point.paths,
            "errors": point.errors, "tool_version": point.tool_version, "parent": point.parent}


def point_info(document: dict[str, Any]) -> PointInfo:
    d = document
    return PointInfo(id=d["id"], workload=d["workload"], host=d["host"],
                     time=datetime.fromisoformat(d["time"]).astimezone(UTC), partial=d["partial"],
                     stats=d["stats"], meta=d["meta"], kind=d["kind"], root=d["root"], paths=d["paths"],
                     errors=d["errors"], tool_version=d["tool_version"], parent=d["parent"])


class CatalogStore:
    """The local catalog: one sealed, compressed file per media set, replaced atomically.

    Each file also remembers ``tape_digest``, the digest of the catalog last written to
    tape for that set; a cartridge whose attributes name another digest holds a newer
    catalog than this copy (a kill came between the two writes).
    """

    def __init__(self, library: Path, key: MasterKey) -> None:
        self.folder = library / "catalog"
        self._key = key
        self.tape_digests: dict[str, str | None] = {}
        self.chunk_lists = ChunkLists(library, key)  # what incrementals skip; see bkctl.tape.chunklists

    def load_all(self) -> dict[str, SetCatalog]:
        if not self.folder.is_dir():
            return {}
        result = {}
        for entry in sorted(self.folder.iterdir()):
            if entry.name.startswith("."):
                continue
            body = self._key.open(entry.read_bytes(), _AD, what=f"tape catalog {entry.name}")
            document = json.loads(zstandard.ZstdDecompressor().decompress(body))
            catalog = SetCatalog.from_json(document["catalog"])
            result[catalog.media_set] = catalog
            self.tape_digests[catalog.media_set] = document["tape_digest"]
        return result

    def save(self, catalog: SetCatalog, tape_digest: str | None = None) -> None:
        """Store ``catalog``; ``tape_digest`` when it was just written to tape (else the last one is kept)."""
        if tape_digest is not None:
            self.tape_digests[catalog.media_set] = tape_digest
        document = {"catalog": catalog.to_json(), "tape_digest": self.tape_digests.get(catalog.media_set)}
        compressed = zstandard.ZstdCompressor(level=3).compress(canonical_json(document))
        replace_file(self.folder / catalog.media_set, self._key.seal(compressed, _AD))

    def delete(self, media_set: str) -> None:
        (self.folder / media_set).unlink(missing_ok=True)
        self.tape_digests.pop(media_set, None)
        self.chunk_lists.delete_set(media_set)
