"""The bytes of one cartridge: a data file and a block index, append-only with truncation.

``data`` holds block payloads back to back; ``blocks`` holds one 24-byte record per block
or filemark: kind, length, offset, CRC-32 of the payload, CRC-32 of the record. A write
appends the payload first and its record second, so a process killed in between leaves
at most a payload without a record, or a short record: the torn tail. Opening validates
every record (its own checksum, contiguous offsets, payload present) and, from
``check_data_from`` on (the records written since the last sync, when the cartridge was
left dirty), the payload checksums too; the first bad record and everything after it are
cut off. Earlier blocks are untouched, so what was written before stays readable.
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from bkctl.tape.sense import MediumError

__all__ = ["BLOCK", "FILEMARK", "BlockFile", "Record"]

BLOCK = 1
FILEMARK = 2
_BODY = struct.Struct("<B3xIQI")
_RECORD_SIZE = _BODY.size + 4


@dataclass(frozen=True, slots=True)
class Record:
    kind: int
    length: int
    offset: int
    crc: int


class BlockFile:
    """Owns the two file descriptors of one cartridge while it is loaded."""

    def __init__(self, folder: Path, *, check_data_from: int | None = None) -> None:
        self.folder = folder
        self._data = os.open(folder / "data", os.O_RDWR | os.O_CREAT, 0o600)
        self._index = os.open(folder / "blocks", os.O_RDWR | os.O_CREAT, 0o600)
        self.records: list[Record] = []
        self.torn = 0
        self._load(check_data_from)

    @property
    def used(self) -> int:
        """Payload bytes up to end of data."""
        last = self.records[-1] if self.records else None
        return last.offset + last.length if last else 0

    def _load(self, check_data_from: int | None) -> None:
        raw = _read_all(self._index)
        data_size = os.fstat(self._data).st_size
        complete = len(raw) // _RECORD_SIZE
        offset = 0
        for number in range(complete):
            record = _decode(raw[number * _RECORD_SIZE:(number + 1) * _RECORD_SIZE])
            if record is None or record.offset != offset or offset + record.length > data_size:
                break
            if check_data_from is not None and number >= check_data_from and not self._payload_ok(record):
                break
            self.records.append(record)
            offset += record.length
        self.torn = complete - len(self.records) + (1 if len(raw) % _RECORD_SIZE else 0)
        if len(raw) != len(self.records) * _RECORD_SIZE or data_size != offset:
            self.truncate(len(self.records))

    def _payload_ok(self, record: Record) -> bool:
        payload = os.pread(self._data, record.length, record.offset)
        return len(payload) == record.length and zlib.crc32(payload) == record.crc

    def read(self, number: int) -> bytes:
        """The payload of record ``number``; a checksum mismatch is a medium error."""
        record = self.records[number]
        payload = os.pread(self._data, record.length, record.offset)
        if len(payload) != record.length or zlib.crc32(payload) != record.crc:
            raise MediumError(f"block {number} of cartridge {self.folder.name} fails its checksum",
                              hint="the cartridge is damaged at this block; restore from another copy")
        return payload

    def truncate(self, count: int) -> None:
        """Keep the first ``count`` records: what a write before end of data does on tape."""
        del self.records[count:]
        os.ftruncate(self._data, self.used)
        os.ftruncate(self._index, count * _RECORD_SIZE)

    def append(self, kind: int, payload: bytes | memoryview = b"") -> None:
        record = Record(kind, len(payload), self.used, zlib.crc32(payload))
        if payload:
            _write_fully(self._data, payload, record.offset)
        _write_fully(self._index, _encode(record), len(self.records) * _RECORD_SIZE)
        self.records.append(record)

    def sync(self) -> None:
        """Data before index, as a drive flushes its buffer at a filemark."""
        os.fsync(self._data)
        os.fsync(self._index)

    def close(self) -> None:
        os.close(self._data)
        os.close(self._index)


def _encode(record: Record) -> bytes:
    body = _BODY.pack(record.kind, record.length, record.offset, record.crc)
    return body + struct.pack("<I", zlib.crc32(body))


def _decode(raw: bytes) -> Record | None:
    body, (check,) = raw[:_BODY.size], struct.unpack("<I", raw[_BODY.size:])
    if zlib.crc32(body) != check:
        return None
    kind, length, offset, crc = _BODY.unpack(body)
    if kind not in (BLOCK, FILEMARK) or (kind == FILEMARK and length):
        return None
    return Record(kind, length, offset, crc)


def _read_all(descriptor: int) -> bytes:
    size = os.fstat(descriptor).st_size
    return os.pread(descriptor, size, 0) if size else b""


def _write_fully(descriptor: int, data: bytes | memoryview, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(descriptor, view, offset)
        view, offset = view[written:], offset + written
