"""A tape drive with a cartridge loaded: the only way code touches a cartridge's bytes.

The interface is a drive's, sequential and without offsets: rewind, space over
filemarks (forward or backward), seek end of data, read the next block, write a block or
a filemark at the current position, and status. Positions are between records; a
filemark is a record of its own. Rules, as on tape:

* reading at end of data raises :class:`BlankCheckError`; reading a filemark returns
  ``None`` and moves past it (the drive's "filemark detected");
* writing anywhere but end of data first erases everything after the position, and a
  WORM or write-protected cartridge refuses that (:class:`WriteProtectedError`);
* a write past the capacity raises :class:`VolumeOverflowError` and changes nothing;
  beyond ``capacity - early_warning`` writes succeed but :attr:`early_warning` turns on,
  the writer's cue to finish this cartridge and continue on another;
* spacing forward past end of data raises BlankCheck (positioned at end of data), spacing
  backward past the beginning raises BeginningOfMedium (positioned at the beginning);
  backward spacing stops on the beginning side of the filemark, as SCSI SPACE does.
"""

from __future__ import annotations

from dataclasses import dataclass

from bkctl.tape.attributes import MediumAttributes
from bkctl.tape.blockfile import BLOCK, FILEMARK, BlockFile
from bkctl.tape.sense import (
    BeginningOfMediumError,
    BlankCheckError,
    LibraryError,
    VolumeOverflowError,
    WriteProtectedError,
)

__all__ = ["MAX_BLOCK", "Drive", "DriveStatus"]

MAX_BLOCK = 1 << 20  # largest block a drive accepts (LTO drives allow up to 8 MiB; we need 256 KiB)


@dataclass(frozen=True)
class DriveStatus:
    drive: int
    barcode: str
    file_number: int
    block_number: int
    at_bot: bool
    at_eod: bool
    early_warning: bool
    worm: bool
    write_protected: bool
    used: int
    capacity: int


class Drive:
    """One loaded cartridge; built by the changer's ``load``, released by its ``unload``."""

    def __init__(self, number: int, medium: BlockFile, attributes: MediumAttributes, capacity: int,
                 early_warning: int) -> None:
        self.number = number
        self.attributes = attributes
        self._medium = medium
        self._capacity = capacity
        self._early_warning = early_warning
        self._position = 0
        self.blocks_read = 0
        self.blocks_written = 0

    @property
    def barcode(self) -> str:
        return self.attributes.barcode

    @property
    def early_warning(self) -> bool:
        return self._medium.used >= self._capacity - self._early_warning

    # -- positioning ------------------------------------------------------------------
    def rewind(self) -> None:
        self._position = 0

    def seek_eod(self) -> None:
        self._position = len(self._medium.records)

    def space_filemarks(self, count: int) -> None:
        """Move over ``count`` filemarks: forward to just after the last, backward to just before."""
        records = self._medium.records
        while count > 0:
            if self._position >= len(records):
                raise BlankCheckError(f"end of data on {self.barcode} while spacing forward")
            self._position += 1
            count -= records[self._position - 1].kind == FILEMARK
        while count < 0:
            if self._position == 0:
                raise BeginningOfMediumError(f"beginning of {self.barcode} while spacing backward")
            self._position -= 1
            count += records[self._position].kind == FILEMARK

    # -- data -------------------------------------------------------------------------
    def read_block(self) -> bytes | None:
        """The next block, or None after passing a filemark."""
        if self._position >= len(self._medium.records):
            raise BlankCheckError(f"read past end of data on {self.barcode}")
        record = self._medium.records[self._position]
        self._position += 1
        if record.kind == FILEMARK:
            return None
        payload = self._medium.read(self._position - 1)
        self.blocks_read += 1
        self.attributes.bytes_read += len(payload)
        return payload

    def write_block(self, payload: bytes | memoryview) -> None:
        if not 0 < len(payload) <= MAX_BLOCK:
            raise LibraryError(f"a block holds 1 byte to {MAX_BLOCK} bytes, not {len(payload)}")
        self._write(BLOCK, payload)
        self.blocks_written += 1

    def write_filemark(self) -> None:
        """End the current file; flushes, as a drive's buffer is flushed at a filemark."""
        self._write(FILEMARK, b"")
        self.sync()

    def _write(self, kind: int, payload: bytes | memoryview) -> None:
        records = self._medium.records
        if self.attributes.write_protected:
            raise WriteProtectedError(f"cartridge {self.barcode} is write-protected")
        if self._position < len(records) and self.attributes.worm:
            raise WriteProtectedError(f"cartridge {self.barcode} is WORM: refusing to overwrite "
                                      f"{len(records) - self._position} record(s) after the position")
        kept = records[self._position - 1].offset + records[self._position - 1].length if self._position else 0
        if kept + len(payload) > self._capacity:
            raise VolumeOverflowError(f"cartridge {self.barcode} is full ({self._capacity} bytes)",
                                      hint="the writer should have continued on another cartridge at early warning")
        if self._position < len(records):
            self._medium.truncate(self._position)
        self._medium.append(kind, payload)
        self._position += 1
        self.attributes.bytes_written += len(payload)

    def erase(self) -> None:
        """Erase from the position to the end (SCSI ERASE); WORM and write-protected cartridges refuse."""
        records = self._medium.records
        if self._position >= len(records):
            return
        if self.attributes.write_protected or self.attributes.worm:
            raise WriteProtectedError(f"cartridge {self.barcode} refuses an erase (WORM or write-protected)")
        self._medium.truncate(self._position)
        self.sync()

    def sync(self) -> None:
        """Flush data and index. The attributes are not rewritten here (that would cost two more
        fsyncs per filemark): after a crash, the next load checks every block of the
        interrupted load against its checksum, from the count recorded when it was loaded."""
        self._medium.sync()

    # -- status -----------------------------------------------------------------------
    def status(self) -> DriveStatus:
        before = self._medium.records[:self._position]
        marks = [i for i, record in enumerate(before) if record.kind == FILEMARK]
        block = self._position - (marks[-1] + 1 if marks else 0)
        return DriveStatus(
            drive=self.number, barcode=self.barcode, file_number=len(marks), block_number=block,
            at_bot=self._position == 0, at_eod=self._position == len(self._medium.records),
            early_warning=self.early_warning, worm=self.attributes.worm,
            write_protected=self.attributes.write_protected, used=self._medium.used, capacity=self._capacity,
        )

    def release(self) -> None:
        """Flush and close the medium (the changer calls this on unload)."""
        self._medium.sync()
        self.attributes.synced_records = len(self._medium.records)
        self._medium.close()
