"""One parent file as a packed record: what the incremental test and a reuse need, in bytes.

A backup holds the parent point's file map (stored path -> record) beside the nodes of
the walk, one record per file. As Python lists of integers and hex strings a record cost
about 400 bytes; packed it is one ``bytes`` object of 41 + 32 per chunk bytes, so the map
of 50,000 files shrinks by about 15 MiB and loads without building an object per field.

Layout: a tag byte, the four integers of the incremental test, the counts, the raw chunk
ids, then the data extents of a sparse file as (offset, length) pairs.

- tag 0: ``<QqqQ`` size, mtime_ns, ctime_ns, inode (every file a 64-bit system makes);
- tag 1: each of the four as 16 little-endian signed bytes (a file dated after 2262 or
  before 1678, which tmpfs and btrfs allow): compared as the same integers, not floats;
- then ``<Ii`` chunk count and extent count (-1: the node has no extents), ``32 * n``
  chunk ids, ``<QQ`` per extent.

A file whose values fit neither form is left out of the map and simply read again. A
record is read by one ``unpack_from`` (:func:`record_fields`) on the path every file of
an incremental backup takes; a malformed one raises ``struct.error``, ``ValueError`` or,
empty, ``IndexError`` (the walk then reads the file).
"""

from __future__ import annotations

import struct

from bkctl.repo.tree import Node

__all__ = ["FileRecord", "RecordFields", "pack_file", "pack_node", "record_chunks", "record_content",
           "record_extents", "record_fields"]

FileRecord = bytes
RecordFields = tuple[int, int, int, int, int, int]
"""size, mtime_ns, ctime_ns, inode (the incremental test's order), chunk count, extent count."""

_NARROW = struct.Struct("<xQqqQIi")  # the tag byte (0) is skipped
_COUNTS = struct.Struct("<Ii")
_WIDE_COUNTS = 1 + 4 * 16
_STARTS = (_NARROW.size, _WIDE_COUNTS + _COUNTS.size)  # the first chunk id, by tag
_EXTENT = struct.Struct("<QQ")
_ID = 32


def pack_file(size: int, mtime_ns: int, ctime_ns: int, inode: int, content: list[str] | None,
              extents: list[tuple[int, int]] | list[list[int]] | None) -> FileRecord | None:
    """The record of one file; None when a value fits no form (the file is read next time)."""
    ids = [bytes.fromhex(blob) for blob in content or ()]
    if any(len(blob) != _ID for blob in ids):
        return None
    n_extents = -1 if extents is None else len(extents)
    try:
        head = _NARROW.pack(size, mtime_ns, ctime_ns, inode, len(ids), n_extents)  # its pad byte is tag 0
    except struct.error:
        try:
            head = b"\x01" + b"".join(value.to_bytes(16, "little", signed=True)
                                      for value in (size, mtime_ns, ctime_ns, inode))
            head += _COUNTS.pack(len(ids), n_extents)
        except (OverflowError, struct.error):
            return None
    try:
        tail = b"".join(_EXTENT.pack(offset, length) for offset, length in extents or ())
    except struct.error:
        return None
    return head + b"".join(ids) + tail


def pack_node(node: Node) -> FileRecord | None:
    """:func:`pack_file` of a file node."""
    return pack_file(node["size"], node["mtime_ns"], node["ctime_ns"], node["inode"], node.get("content"),
                     node.get("extents"))


def record_fields(record: FileRecord) -> RecordFields:
    """The fixed fields; the first four are what :func:`bkctl.archiver.nodes.unchanged` compares."""
    if record[0] == 0:
        return _NARROW.unpack_from(record)  # type: ignore[return-value]
    if record[0] != 1:
        raise ValueError(f"unknown file record tag {record[0]}")
    size, mtime_ns, ctime_ns, inode = (int.from_bytes(record[1 + 16 * i:17 + 16 * i], "little", signed=True)
                                       for i in range(4))
    return (size, mtime_ns, ctime_ns, inode, *_COUNTS.unpack_from(record, _WIDE_COUNTS))


def record_chunks(record: FileRecord, fields: RecordFields | None = None) -> list[bytes]:
    """The raw chunk ids, in file order."""
    n_ids = (fields or record_fields(record))[4]
    start = _STARTS[record[0]]
    if len(record) < start + _ID * n_ids:
        raise ValueError("file record cut short")
    if n_ids == 1:  # most files: spare the loop
        return [record[start:start + _ID]]
    return [record[start + _ID * i:start + _ID * (i + 1)] for i in range(n_ids)]


def record_content(record: FileRecord) -> list[str]:
    """The chunk ids as a node's ``content`` (hex)."""
    return [blob.hex() for blob in record_chunks(record)]


def record_extents(record: FileRecord, fields: RecordFields | None = None) -> list[list[int]] | None:
    """A sparse file's data extents as a node holds them, or None."""
    _, _, _, _, n_ids, n_extents = fields or record_fields(record)
    if n_extents < 0:
        return None
    first = _STARTS[record[0]] + _ID * n_ids
    return [list(_EXTENT.unpack_from(record, first + _EXTENT.size * i)) for i in range(n_extents)]
