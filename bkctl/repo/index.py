"""The index: blob id -> where it is stored, loaded from ``index/*`` objects.

Index objects are immutable and written after the packs they describe (never before),
so every entry points at an existing pack. They are sealed zstd JSON:
``{"version": 1, "packs": {pack_name: [[id_hex, kind, offset, length, raw_length], ...]}}``.
"""

from __future__ import annotations

import secrets
import struct
import threading
from collections.abc import Iterable, Iterator

import zstandard

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.crypto import MasterKey
from bkctl.repo.jsoncodec import compact, loads_bounded
from bkctl.repo.pack import IndexEntry

__all__ = ["Index", "decode_index", "encode_index", "new_index_name"]

_AD = b"bkctl-index"
_KINDS = {"d": "d", "t": "t"}  # one shared string per kind, not one per entry (50 bytes each)


_RECORD = struct.Struct("<IQQQB")  # pack number, offset, length, raw length, kind number
_PACK_NUMBER = struct.Struct("<I")


class _Numbers:
    """Small numbers for strings many entries repeat (pack names, kinds), so a record holds
    the number instead of the string."""

    __slots__ = ("_numbers", "names")

    def __init__(self, names: tuple[str, ...] = ()) -> None:
        self.names = list(names)
        self._numbers = {name: number for number, name in enumerate(self.names)}

    def known(self, name: str) -> int | None:
        return self._numbers.get(name)

    def number(self, name: str) -> int:
        """The name's number, given it now if it has none."""
        number = self._numbers.get(name)
        if number is None:
            number = self._numbers[name] = len(self.names)
            self.names.append(name)
        return number


class Index:
    """All known entries plus the ids a running backup has claimed but not yet stored.

    ``claim`` is the dedup decision: exactly one thread gets True for a new id, so two
    workers never store the same chunk twice. Blobs in ``marked`` packs (waiting for a
    reclaim to delete them) stay readable but never count for dedup: a new copy is
    stored instead, so nothing written now depends on a pack that may soon be gone.
    A blob stored in several packs (a repack, two concurrent backups) keeps every
    entry; the preferred one is in a pack that is not marked.

    The preferred entry of each blob is kept as a 29-byte record (pack number, offset,
    lengths, kind number) rather than an :class:`IndexEntry` and three Python integers: 64
    bytes an entry instead of 168, not tracked by the garbage collector, which at a
    million blobs is about 100 MiB less. :meth:`get` builds the entry when asked.
    """

    def __init__(self) -> None:
        self._records: dict[bytes, bytes] = {}
        self._packs = _Numbers()
        self._kinds = _Numbers(("d", "t"))  # only "d" and "t" are written; an index object may say otherwise
        self.objects: set[str] = set()  # names of the index objects loaded into this index
        self.marked: frozenset[str] = frozenset()
        # Packs listed by index objects an owner or manager key signed (format 3): the only
        # copies a reclaim counts before deleting another copy (a writer can list fake ones).
        self.trusted: set[str] = set()
        self.trust_all = True  # format 2: every key is an owner's
        self._others: dict[bytes, list[IndexEntry]] = {}
        self._claimed: set[bytes] = set()
        self._lock = threading.Lock()

    def __contains__(self, blob_id: bytes) -> bool:
        return blob_id in self._records

    def __len__(self) -> int:
        return len(self._records)

    def get(self, blob_id: bytes) -> IndexEntry:
        try:
            return self._entry(self._records[blob_id])
        except KeyError:
            raise RepositoryCorruptError(
                f"blob {blob_id.hex()} is missing from the index",
                hint="run 'bkctl verify' to list the affected recovery points; "
                "'bkctl repair index' rebuilds the index from the packs",
            ) from None

    def preferred(self, blob_id: bytes) -> IndexEntry | None:
        """The entry :meth:`get` returns, or None for an unknown blob."""
        record = self._records.get(blob_id)
        return None if record is None else self._entry(record)

    def items(self) -> Iterator[tuple[bytes, IndexEntry]]:
        """Every blob with its preferred entry, each built as it is reached (no copy of the whole index)."""
        entry = self._entry
        for blob_id, record in self._records.items():
            yield blob_id, entry(record)

    def copies(self, blob_id: bytes) -> list[IndexEntry]:
        """Every known place of a blob, preferred first."""
        first = self.preferred(blob_id)
        return ([first] if first else []) + self._others.get(blob_id, [])

    def usable(self, blob_id: bytes) -> bool:
        """Stored in a pack that no reclaim has marked: safe to deduplicate against."""
        record = self._records.get(blob_id)
        if record is None:
            return False
        return not self.marked or self._packs.names[_PACK_NUMBER.unpack_from(record)[0]] not in self.marked

    def claim(self, blob_id: bytes) -> bool:
        with self._lock:
            return self._claim(blob_id)

    def claim_many(self, blob_ids: list[bytes]) -> list[bool]:
        """:meth:`claim` for a batch under one lock (a repeat within the batch is claimed once)."""
        with self._lock:
            return [self._claim(blob_id) for blob_id in blob_ids]

    def _claim(self, blob_id: bytes) -> bool:
        """The dedup decision, under ``_lock``."""
        if self.usable(blob_id) or blob_id in self._claimed:
            return False
        self._claimed.add(blob_id)
        return True

    def release_claims(self) -> None:
        """Forget claims of blobs that never reached the store (after a failed backup)."""
        with self._lock:
            self._claimed.clear()

    def add(self, items: Iterable[tuple[bytes, IndexEntry]]) -> None:
        with self._lock:
            records = self._records
            for blob_id, entry in items:
                current = records.get(blob_id)
                if current is None:
                    records[blob_id] = self._record(entry)
                    continue
                current_entry = self._entry(current)
                if current_entry == entry:
                    continue
                others = self._others.setdefault(blob_id, [])
                if current_entry.pack in self.marked and entry.pack not in self.marked:
                    records[blob_id] = self._record(entry)
                    others.insert(0, current_entry)
                elif entry not in others:
                    others.append(entry)

    def discard_packs(self, packs: set[str]) -> None:
        """Forget every entry in ``packs`` (packs deleted by an aborted backup)."""
        with self._lock:
            numbers = {self._packs.known(pack) for pack in packs} - {None}
            gone = [blob_id for blob_id, record in self._records.items()
                    if _PACK_NUMBER.unpack_from(record)[0] in numbers]
            for blob_id in gone:
                rest = [e for e in self._others.pop(blob_id, []) if e.pack not in packs]
                if rest:
                    self._records[blob_id], self._others[blob_id] = self._record(rest[0]), rest[1:]
                else:
                    del self._records[blob_id]

    def set_marked(self, packs: frozenset[str]) -> None:
        """Packs now in pending marks; prefer an unmarked copy where one exists."""
        with self._lock:
            self.marked = packs
            for blob_id, others in self._others.items():
                current = self._entry(self._records[blob_id])
                better = next((e for e in others if e.pack not in packs), None)
                if current.pack in packs and better is not None:
                    others.remove(better)
                    others.insert(0, current)
                    self._records[blob_id] = self._record(better)

    def by_pack(self) -> dict[str, list[tuple[bytes, IndexEntry]]]:
        """Every entry (all copies) grouped by pack."""
        packs: dict[str, list[tuple[bytes, IndexEntry]]] = {}
        for blob_id, entry in self.items():
            packs.setdefault(entry.pack, []).append((blob_id, entry))
        for blob_id, others in self._others.items():
            for entry in others:
                packs.setdefault(entry.pack, []).append((blob_id, entry))
        return packs

    def _record(self, entry: IndexEntry) -> bytes:
        try:
            return _RECORD.pack(self._packs.number(entry.pack), entry.offset, entry.length, entry.raw_length,
                                self._kinds.number(entry.kind))
        except struct.error:  # an index object a key holder wrote by hand: negative or huge values
            raise RepositoryCorruptError(
                f"an index entry in pack {entry.pack} has an offset or length out of range",
                hint="'bkctl repair index' rebuilds the index from the packs") from None

    def _entry(self, record: bytes) -> IndexEntry:
        number, offset, length, raw_length, kind = _RECORD.unpack(record)
        return IndexEntry(self._packs.names[number], offset, length, raw_length, self._kinds.names[kind])


def new_index_name() -> str:
    return f"index/{secrets.token_hex(32)}"


def encode_index(key: MasterKey, items: Iterable[tuple[bytes, IndexEntry]]) -> bytes:
    """The sealed index object of ``items``, encoded one pack's rows at a time.

    The rows of every pack at once, as lists, cost about 300 bytes an entry (15 MiB for
    the 50,000 files of a first backup, written when the backup ends, at its memory
    peak), and their JSON another 100. Here one pack's rows exist at a time: a first
    pass only measures the document (the frame must record its size, as every reader
    expects), the second encodes it again into the compressor. The bytes are those of
    the whole document encoded in one go.
    """
    packs: dict[str, list[tuple[bytes, IndexEntry]]] = {}
    for blob_id, entry in items:
        packs.setdefault(entry.pack, []).append((blob_id, entry))
    compressor = zstandard.ZstdCompressor(level=3).compressobj(size=sum(map(len, _document(packs))))
    body = b"".join([*map(compressor.compress, _document(packs)), compressor.flush()])
    return key.seal(body, _AD)


def _document(packs: dict[str, list[tuple[bytes, IndexEntry]]]) -> Iterator[bytes]:
    """The index document as compact JSON, one pack at a time."""
    yield b'{"version":1,"packs":{'
    for number, (pack, entries) in enumerate(packs.items()):
        rows = [[blob_id.hex(), e.kind, e.offset, e.length, e.raw_length] for blob_id, e in entries]
        yield b"%s%s:%s" % (b"," if number else b"", compact(pack), compact(rows))
    yield b"}}"


def decode_index(key: MasterKey, name: str, raw: bytes) -> list[tuple[bytes, IndexEntry]]:
    """Entries of one index object; damage raises RepositoryCorruptError naming it."""
    body = key.open(raw, _AD, what=f"index object {name}")
    try:
        document = loads_bounded(zstandard.ZstdDecompressor().decompress(body))
        items = []
        for pack, rows in document["packs"].items():
            pack_name = str(pack)
            for blob_id, kind, offset, length, raw_length in rows:
                entry = IndexEntry(pack_name, offset, length, raw_length, _KINDS.get(kind, kind))
                items.append((bytes.fromhex(blob_id), entry))
            rows.clear()  # the decoded rows go as their entries come: a lower peak on large indexes
        return items
    except (ValueError, KeyError, TypeError, zstandard.ZstdError) as exc:
        raise RepositoryCorruptError(f"index object {name} is unreadable: {exc}") from None
