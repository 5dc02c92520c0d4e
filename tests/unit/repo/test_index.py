"""Index objects and pack headers round-trip; claims make dedup decisions exactly once."""

from __future__ import annotations

import json
import struct
import threading

import blake3
import pytest

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.crypto import MasterKey
from bkctl.repo.index import Index, decode_index, encode_index
from bkctl.repo.pack import IndexEntry, PackBuilder


def test_index_object_round_trips():
    key = MasterKey.generate()
    items = [(bytes([n]) * 32, IndexEntry("data/aa/pack", n * 10, 10, 20, "d")) for n in range(5)]
    assert decode_index(key, "index/x", encode_index(key, items)) == items


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
    header = json.loads(key.open(data[-4 - header_length : -4], b"bkctl-pack-header"))
    assert header == [["01" * 32, "d", 0, 40, 30], ["02" * 32, "t", 40, 50, 60]]
    assert data[40:90] == b"B" * 50
    assert pack.name.startswith("data/") and [e.offset for _, e in pack.entries] == [0, 40]
