"""JSON on the hot paths (trees, index objects, pack headers, the cached file maps), via orjson.

The standard library's encoder and decoder cost more than hashing, compressing and
sealing a small file's tree entry: with many small files, tree encoding and the file
map were a fifth of an incremental backup. orjson does the same work in C, 3-5x faster.

Trees are *canonical*: their bytes decide their ids, and ids already stored must stay
the same or unchanged folders would be stored again. :func:`canonical` therefore
returns exactly ``json.dumps(value, separators=(",", ":"), sort_keys=True)``: orjson's
compact, key-sorted output is byte-identical to it for ASCII text without DEL, and
anything else (names with accents or undecodable bytes, which the standard encoder
escapes as ``\\uXXXX``; integers beyond 64 bits) falls back to the standard encoder.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["canonical", "compact", "loads_bounded", "loads_exact"]

_STANDARD = b"J"  # marked a cached body the standard encoder wrote: the standard decoder reads it


def canonical(value: Any) -> bytes:
    """The standard library's compact, key-sorted JSON, bytes for bytes (see the module doc)."""
    try:
        encoded = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # lone surrogates (undecodable file names), integers beyond 64 bits
        return _standard(value, sort_keys=True)
    if encoded.isascii() and b"\x7f" not in encoded:
        return encoded
    return _standard(value, sort_keys=True)


def compact(value: Any) -> bytes:
    """Compact JSON where the exact bytes do not matter (any reader decodes either form)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return _standard(value, sort_keys=False)


def loads_bounded(data: bytes | bytearray | memoryview | str) -> Any:
    """Decode a document whose integers all fit in 64 bits (offsets, lengths, the cache's
    maps), because orjson turns larger ones into floats without a word. Trees are not
    such documents (a file dated in the year 3000 has a 20-digit ``mtime_ns``), so
    :func:`bkctl.repo.tree.decode_tree` keeps the standard decoder. Text the standard
    decoder accepts and orjson refuses (escaped lone surrogates) takes the standard one."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        text = bytes(data) if isinstance(data, memoryview | bytearray) else data
        return json.loads(text)


def loads_exact(data: bytes) -> Any:
    """Decode a file map an earlier bkctl cached as JSON: orjson's compact form, or the
    standard encoder's behind the marker byte ``J`` when it held integers beyond 64 bits
    (which orjson would read back as floats)."""
    if data[:1] == _STANDARD:
        return json.loads(data[1:])
    return loads_bounded(data)


def _standard(value: Any, *, sort_keys: bool) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=sort_keys).encode()
