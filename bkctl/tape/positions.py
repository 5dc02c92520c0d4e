"""Finding things on a loaded cartridge with the drive's own moves (files, not offsets).

File 0 is the volume label, file 1 the media-set label, then per point part: a header
file, a data file, and on the part that ends the point an end record; a catalog file
follows every finished point and closes every full cartridge. The last *complete*
catalog (closed by its filemark) marks where the next session appends: anything after it
is the torn remains of an interrupted session, which the next write erases.
"""

from __future__ import annotations

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.crypto import MasterKey
from bkctl.tape.catalog import SetCatalog
from bkctl.tape.documents import kind_of, open_document, read_document
from bkctl.tape.drive import Drive
from bkctl.tape.sense import BlankCheckError

__all__ = ["FIRST_SESSION_FILE", "last_catalog", "locate_file"]

FIRST_SESSION_FILE = 2


def locate_file(drive: Drive, number: int) -> None:
    """Position at the start of file ``number`` (a LOCATE on a real drive)."""
    drive.rewind()
    drive.space_filemarks(number)


def last_catalog(drive: Drive, key: MasterKey) -> SetCatalog | None:
    """The last complete catalog on the cartridge, leaving the drive just after it.

    Walks back from end of data one file at a time, reading the first block of each
    (at most the few files of one torn session). Without a catalog the drive is left at
    the first session file, right after the media-set label.
    """
    drive.seek_eod()
    for number in range(drive.status().file_number, FIRST_SESSION_FILE - 1, -1):
        locate_file(drive, number)
        try:
            first = drive.read_block()
        except BlankCheckError:
            continue
        if kind_of(first) != "catalog":
            continue
        try:
            _, payload = read_document(drive, first)
            drive.space_filemarks(1)
        except (BlankCheckError, RepositoryCorruptError):
            continue  # a torn catalog: the session that wrote it never finished
        return SetCatalog.from_json(open_document(key, "catalog", payload, f"on {drive.barcode}"))
    locate_file(drive, FIRST_SESSION_FILE)
    return None
