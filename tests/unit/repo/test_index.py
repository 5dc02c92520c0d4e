"""Index objects and pack headers round-trip; claims make dedup decisions exactly once."""

from __future__ import annotations

import json
import struct
import threading
import tracemalloc

import blake3
import pytest
import zstandard

from bkctl.errors import RepositoryCorruptError
from bkctl.repo import KdfParams, Repository
from bkctl.repo.crypto import MasterKey
from bkctl.repo.index import Index, decode_index, encode_index, new_index_name
from bkctl.repo.pack import IndexEntry, PackBuilder, pack_header_entries
from bkctl.secrets import Secret
from bkctl.store import MemoryStore


def test_index_object_round_trips():
    key = MasterKey.generate()
    items = [(bytes([n]) * 32, IndexEntry("data/aa/pack", n * 10, 10, 20, "d")) for n in range(5)]
    assert decode_index(key, "index/x", encode_index(key, items)) == items


def many_entries(count: int) -> list[tuple[bytes, IndexEntry]]:
    """Entries of packs of 2,300 blobs each, the size of a first backup's packs of small files."""
    return [(blake3.blake3(n.to_bytes(4, "little")).digest(),
             IndexEntry(f"data/{n // 2300:02x}/{n // 2300:062x}", (n % 2300) * 7000, 3000, 7000, "dt"[n % 2]))
            for n in range(count)]


def test_an_index_object_is_the_whole_document_encoded_at_once_and_its_frame_says_its_size():
    key = MasterKey.generate()
    items = many_entries(7_000)  # four packs
    body = zstandard.ZstdDecompressor().decompress(key.open(encode_index(key, items), b"bkctl-index"))
    packs: dict[str, list[list[object]]] = {}
    for blob_id, e in items:
        packs.setdefault(e.pack, []).append([blob_id.hex(), e.kind, e.offset, e.length, e.raw_length])
    assert body == json.dumps({"version": 1, "packs": packs}, separators=(",", ":")).encode()
    frame = key.open(encode_index(key, items), b"bkctl-index")
    assert zstandard.frame_content_size(frame) == len(body)  # readers of every version decompress in one go


def test_encoding_an_index_object_holds_one_packs_rows_as_lists_not_every_packs():
    key = MasterKey.generate()
    items = many_entries(20_000)
    tracemalloc.start()
    try:
        raw = encode_index(key, items)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 250 * len(items)  # every pack's rows as lists first: about 550 bytes an entry
    assert decode_index(key, "index/x", raw) == items


def test_damaged_index_object_names_itself():
    key = MasterKey.generate()
    raw = encode_index(key, [(b"\0" * 32, IndexEntry("data/aa/p", 0, 1, 1, "d"))])
    with pytest.raises(RepositoryCorruptError, match="index object index/abc"):
        decode_index(key, "index/abc", raw[: len(raw) // 2])


def test_only_one_thread_wins_a_claim():
    index = Index()
    wins = []
    threads = [threading.Thread(target=lambda: wins.append(index.claim(b"\1" * 32)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wins.count(True) == 1
    index.release_claims()
    assert index.claim(b"\1" * 32)


def test_pack_header_lists_every_blob_at_its_offset():
    key = MasterKey.generate()
    builder = PackBuilder()
    builder.add(b"\1" * 32, "d", b"A" * 40, 30)
    builder.add(b"\2" * 32, "t", b"B" * 50, 60)
    pack = builder.finish(key)
    data = pack.file.read()
    assert len(data) == pack.size and pack.name.endswith(blake3.blake3(data).hexdigest())
    (header_length,) = struct.unpack("<I", data[-4:])
    sealed = key.open(data[-4 - header_length : -4], b"bkctl-pack-header")
    header = json.loads(zstandard.ZstdDecompressor().decompress(sealed))
    assert header == [["01" * 32, "d", 0, 40, 30], ["02" * 32, "t", 40, 50, 60]]
    assert data[40:90] == b"B" * 50
    assert pack.name.startswith("data/") and [e.offset for _, e in pack.entries] == [0, 40]


def test_pack_headers_are_compressed():
    """A header repeats every blob id in hex: uncompressed it added 0.4% to a repository."""
    key = MasterKey.generate()
    builder = PackBuilder()
    for number in range(200):
        builder.add(blake3.blake3(bytes([number])).digest(), "d", b"x" * 10, 10)
    pack = builder.finish(key)
    data = pack.file.read()
    (header_length,) = struct.unpack("<I", data[-4:])
    assert header_length < 200 * (64 + 20) * 0.6
    assert len(pack_header_entries(key, pack.name, data)) == 200


def test_uncompressed_headers_of_older_packs_still_read():
    key = MasterKey.generate()
    body = json.dumps([["01" * 32, "d", 0, 4, 4]]).encode()
    sealed = key.seal(body, b"bkctl-pack-header")
    data = b"AAAA" + sealed + struct.pack("<I", len(sealed))
    entries = pack_header_entries(key, "data/00/old", data)
    assert entries == [(b"\1" * 32, IndexEntry("data/00/old", 0, 4, 4, "d"))]


def test_an_index_holds_under_200_bytes_an_entry_with_its_id():
    key = MasterKey.generate()
    raw = encode_index(key, many_entries(20_000))
    tracemalloc.start()
    try:
        index = Index()
        index.add(decode_index(key, "index/x", raw))
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(index) == 20_000
    assert held < 200 * len(index)  # as IndexEntry objects with their integers: about 275 bytes
    blob_id, entry = many_entries(20_000)[12_345]
    assert index.get(blob_id) == entry and index.preferred(blob_id) == entry and index.copies(blob_id) == [entry]
    assert dict(index.items()) == dict(many_entries(20_000))


def test_an_entry_no_record_can_hold_is_refused_as_damage_and_odd_kinds_are_kept_exactly():
    index = Index()
    with pytest.raises(RepositoryCorruptError, match="out of range"):
        index.add([(b"\1" * 32, IndexEntry("data/aa/p", -1, 10, 10, "d"))])  # a key holder's hand-made object
    odd = IndexEntry("data/aa/q", 0, 10, 10, "x-kind")
    index.add([(b"\2" * 32, odd)])
    assert index.get(b"\2" * 32) == odd


def test_a_blob_in_a_marked_pack_is_readable_but_not_usable_until_a_copy_elsewhere_is_known():
    index = Index()
    first, second = IndexEntry("data/aa/old", 0, 10, 10, "d"), IndexEntry("data/bb/new", 0, 10, 10, "d")
    index.add([(b"\3" * 32, first)])
    index.set_marked(frozenset({"data/aa/old"}))
    assert not index.usable(b"\3" * 32) and index.get(b"\3" * 32) == first
    assert index.claim(b"\3" * 32)  # stored again rather than depending on a pack about to go
    index.add([(b"\3" * 32, second)])
    assert index.usable(b"\3" * 32) and index.copies(b"\3" * 32) == [second, first]
    index.discard_packs({"data/bb/new"})
    assert index.copies(b"\3" * 32) == [first] and not index.usable(b"\3" * 32)


def test_opening_a_repository_reads_its_index_objects_one_at_a_time(tmp_path):
    repo = Repository.init(MemoryStore(), Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "cache")
    entries = many_entries(48_000)
    for start in range(0, len(entries), 6_000):  # eight objects, as eight checkpoints of a long backup write
        repo.store.put(new_index_name(), encode_index(repo.key, entries[start:start + 6_000]))
    tracemalloc.start()
    try:
        index = repo.refresh_index()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(index) == len(entries) and index.get(entries[-1][0]) == entries[-1][1]
    # One object decoded at a time: about 50 bytes an entry of the whole index beside it.
    # Every object decoded before any was added: about 240 (11 MiB here).
    assert peak - held < 100 * len(entries)


def test_walking_the_index_builds_entries_as_it_goes_and_copies_nothing_first():
    index = Index()
    index.add(many_entries(20_000))
    tracemalloc.start()
    try:
        walk = index.items()
        first = next(walk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert first == many_entries(1)[0]
    assert peak < 20_000  # a list of every (id, record) pair first: about 1.4 MiB here
