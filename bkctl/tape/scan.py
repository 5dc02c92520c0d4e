"""Rebuilding the catalog from the cartridges alone (the classic tape disaster, made cheap).

Default: per cartridge, the volume label, the media-set label and the last complete
catalog, found by walking back from end of data (a handful of blocks per cartridge, as
Proxmox Backup Server does, instead of Bareos's ``bscan`` reading everything). Each media
set's catalog is the newest one on its cartridges, i.e. on the member with the highest
index in the set. ``full`` instead reads every header and end record (skipping data
files with filemark spaces) and rebuilds each set from the end records of committed
points. Either way membership comes from the media-set labels, so the result equals the
local catalog exactly (same canonical JSON). Off-site cartridges cannot be loaded and
are reported as skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.crypto import MasterKey
from bkctl.tape.catalog import CatalogPoint, SetCatalog, keep_members
from bkctl.tape.changer import Changer
from bkctl.tape.documents import kind_of, open_document, read_document
from bkctl.tape.drive import Drive
from bkctl.tape.labels import MediaSetLabel, read_set_label, read_volume_label
from bkctl.tape.positions import FIRST_SESSION_FILE, last_catalog, locate_file
from bkctl.tape.sense import BlankCheckError

__all__ = ["CartridgeScan", "ScanResult", "scan_cartridges"]


@dataclass
class CartridgeScan:
    barcode: str
    labelled: bool = False
    set_label: MediaSetLabel | None = None
    catalog: SetCatalog | None = None
    points: list[CatalogPoint] = field(default_factory=list)
    headers: dict[int, str] = field(default_factory=dict)  # file number -> point id (full scans)
    blocks_read: int = 0


@dataclass
class ScanResult:
    catalogs: dict[str, SetCatalog]
    cartridges: list[CartridgeScan]
    skipped: list[str]  # off-site, not read


def scan_cartridges(changer: Changer, key: MasterKey, *, full: bool = False) -> ScanResult:
    scans, skipped = [], []
    with changer.session():
        for barcode in changer.barcodes():
            if changer.location(barcode).startswith("vault:"):
                skipped.append(barcode)
                continue
            with changer.loaded(barcode) as drive:
                scans.append(_scan_one(drive, key, full))
    return ScanResult(_assemble(scans, full), scans, skipped)


def _scan_one(drive: Drive, key: MasterKey, full: bool) -> CartridgeScan:
    result = CartridgeScan(drive.barcode)
    if read_volume_label(drive) is not None:
        result.labelled = True
        result.set_label = read_set_label(drive, key)
        if result.set_label is not None:
            if full:
                _walk(drive, key, result)
            else:
                result.catalog = last_catalog(drive, key)
    result.blocks_read = drive.blocks_read
    return result


def _walk(drive: Drive, key: MasterKey, result: CartridgeScan) -> None:
    """Every document of every session; points count once a catalog follows their end record."""
    locate_file(drive, FIRST_SESSION_FILE)
    number, pending, data_next = FIRST_SESSION_FILE, [], False
    while True:
        try:
            if data_next:  # a header is followed by its data file: skip it unread
                drive.space_filemarks(1)
                number, data_next = number + 1, False
                continue
            first = drive.read_block()
            kind = kind_of(first)
            if kind is None:
                if first is not None:  # None: an empty file, its filemark already passed
                    drive.space_filemarks(1)
                number += 1
                continue
            _, payload = read_document(drive, first)
            drive.space_filemarks(1)
        except (BlankCheckError, RepositoryCorruptError):
            return  # end of data, or the torn end of an interrupted session
        body = open_document(key, kind, payload, f"on {drive.barcode} file {number}")
        if kind == "header":
            result.headers[number], data_next = body["point"], True
        elif kind == "end":
            pending.append(CatalogPoint.from_json(body))
        elif kind == "catalog":
            result.points += pending
            pending = []
        number += 1


def _assemble(scans: list[CartridgeScan], full: bool) -> dict[str, SetCatalog]:
    members: dict[str, list[CartridgeScan]] = {}
    for scan in scans:
        if scan.set_label is not None:
            members.setdefault(scan.set_label.media_set, []).append(scan)
    result = {}
    for media_set, group in members.items():
        ordered = sorted(group, key=lambda s: s.set_label.index if s.set_label else 0)
        label = ordered[-1].set_label
        if label is None:
            continue
        base = SetCatalog(media_set, label.pool, label.allocation, label.created, label.period)
        if full:
            base = replace(base, points=tuple(p for scan in ordered for p in scan.points))
            _check_headers(ordered, base)
        else:
            newest = [s.catalog for s in ordered if s.catalog is not None and s.catalog.media_set == media_set]
            base = replace(base, points=newest[-1].points) if newest else base
        result[media_set] = keep_members(base, [s.barcode for s in ordered])
    return result


def _check_headers(group: list[CartridgeScan], catalog: SetCatalog) -> None:
    """Every part of every point must start with a header naming that point."""
    by_barcode = {scan.barcode: scan for scan in group}
    for point in catalog.points:
        for part in point.parts:
            scan = by_barcode.get(part.cartridge)
            if scan is not None and scan.headers.get(part.file) != point.id:
                raise RepositoryCorruptError(f"cartridge {part.cartridge} file {part.file} does not hold the "
                                             f"header of point {point.id}")
