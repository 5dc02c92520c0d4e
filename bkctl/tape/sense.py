"""Tape conditions as errors, named after the SCSI sense a real drive reports.

A drive answers a bad request with a sense key (BLANK CHECK past end of data, VOLUME
OVERFLOW at the physical end, DATA PROTECT on a WORM or write-protected cartridge,
MEDIUM ERROR on a damaged block). Callers that handle tape (the writer spans cartridges
on early warning, the scanner walks files) catch these narrow types; everything else
reaches the CLI boundary as an ordinary bkctl error with its exit code.
"""

from __future__ import annotations

from bkctl.errors import BkctlError, NotFoundError, RepositoryCorruptError, StorageFullError

__all__ = [
    "BeginningOfMediumError", "BlankCheckError", "LibraryError", "MediumError", "NoSuchCartridgeError",
    "VolumeOverflowError", "WriteProtectedError",
]


class BlankCheckError(RepositoryCorruptError):
    """A read or space ran into end of data: what was expected is not on the cartridge."""

    reference = "tape-blank-check"


class BeginningOfMediumError(BkctlError):
    """A backward space reached the beginning of the cartridge before its count."""

    reference = "tape-beginning-of-medium"


class VolumeOverflowError(StorageFullError):
    """A write would pass the physical end of the cartridge (early warning was ignored)."""

    reference = "tape-volume-overflow"


class WriteProtectedError(BkctlError):
    """The cartridge refuses the write: WORM overwrite, write-protect tab, or off-site."""

    reference = "tape-write-protected"


class MediumError(RepositoryCorruptError):
    """A block fails its checksum: the cartridge is damaged there."""

    reference = "tape-medium-error"


class LibraryError(BkctlError):
    """The changer cannot do the move: no free drive or slot, cartridge busy, bad layout."""

    reference = "tape-library"


class NoSuchCartridgeError(NotFoundError):
    reference = "tape-no-such-cartridge"
