"""Labels: file 0 says which cartridge this is, file 1 which media set it belongs to.

The **volume label** (file 0, plain JSON) is written when a blank cartridge is labelled:
barcode, library id, WORM, and the library's wrapped key objects, so the cartridge alone
plus the passphrase opens everything after it. The **media-set label** (file 1, sealed) is
written when the cartridge joins a media set: set id, pool, allocation, its index in the
set, the barcode of the cartridge before it and, when it starts in the middle of a
recovery point, that point's id. These continuation labels chain a spanning point's
cartridges. Recycling rewrites file 1 (which erases everything after it); WORM
cartridges are never recycled, so their file 1 is written once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.crypto import MasterKey
from bkctl.tape.documents import kind_of, open_document, plain_document, read_document, seal_document, write_document
from bkctl.tape.drive import Drive
from bkctl.tape.sense import BlankCheckError

__all__ = ["FORMAT", "MediaSetLabel", "VolumeLabel", "read_set_label", "read_volume_label", "write_set_label",
           "write_volume_label"]

FORMAT = "bkctl-tape"


@dataclass(frozen=True)
class VolumeLabel:
    barcode: str
    library: str
    worm: bool
    labelled: str
    keys: list[dict[str, Any]]


@dataclass(frozen=True)
class MediaSetLabel:
    media_set: str
    pool: str
    allocation: str
    created: str
    period: str
    index: int
    previous: str | None
    continues: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def write_volume_label(drive: Drive, label: VolumeLabel, block_size: int) -> None:
    """Label at the beginning of the cartridge: everything on it is gone afterwards."""
    drive.rewind()
    body = {"format": FORMAT, "version": 1, **asdict(label)}
    write_document(drive, plain_document("label", body), block_size)


def read_volume_label(drive: Drive) -> VolumeLabel | None:
    """The volume label, or None for a blank cartridge; leaves the drive at file 1."""
    drive.rewind()
    try:
        first = drive.read_block()
    except BlankCheckError:
        return None
    if kind_of(first) != "label":
        raise RepositoryCorruptError(f"cartridge {drive.barcode} does not start with a bkctl label")
    try:
        _, payload = read_document(drive, first)
        drive.space_filemarks(1)
    except BlankCheckError:
        return None  # labelling was interrupted: the cartridge is still blank
    body = open_document(None, "label", payload, f"on {drive.barcode}")
    if body.get("format") != FORMAT or body.get("version") != 1:
        raise RepositoryCorruptError(f"cartridge {drive.barcode} has an unknown label format")
    return VolumeLabel(body["barcode"], body["library"], body["worm"], body["labelled"], body["keys"])


def write_set_label(drive: Drive, key: MasterKey, label: MediaSetLabel, block_size: int) -> None:
    """Write file 1 (erasing whatever followed the volume label)."""
    drive.rewind()
    drive.space_filemarks(1)
    write_document(drive, seal_document(key, "media-set", label.as_dict()), block_size)


def read_set_label(drive: Drive, key: MasterKey) -> MediaSetLabel | None:
    """The media-set label (file 1), or None for a scratch cartridge; leaves the drive at file 2."""
    drive.rewind()
    drive.space_filemarks(1)
    try:
        first = drive.read_block()
        _, payload = read_document(drive, first)
        drive.space_filemarks(1)
    except BlankCheckError:
        return None  # no set label, or one whose writing was interrupted: not in a set
    return MediaSetLabel(**open_document(key, "media-set", payload, f"on {drive.barcode}"))
