"""The point stream: sealed frames and blobs cut into blocks, read back record by record."""

from __future__ import annotations

import os

import pytest

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.crypto import MasterKey
from bkctl.tape.stream import FRAME_SIZE, StreamReader, StreamWriter

KEY = MasterKey.generate()


def stream_of(records, block_size=100):
    blocks = []
    writer = StreamWriter(block_size, blocks.append)
    offsets = [writer.write_record(KEY, kind, blob_id, sealed, raw) for kind, blob_id, sealed, raw in records]
    writer.finish()
    return blocks, offsets


RECORDS = [(b"t", os.urandom(32), os.urandom(70), 90), (b"d", os.urandom(32), os.urandom(333), 333),
           (b"T", bytes(32), os.urandom(10), 2)]


def test_records_cross_block_boundaries_and_come_back_in_order():
    blocks, offsets = stream_of(RECORDS)
    assert all(len(b) == 100 for b in blocks[:-1]) and 0 < len(blocks[-1]) <= 100
    read = list(StreamReader(KEY, iter(blocks)).records())
    assert [(r.kind, r.blob_id, r.sealed, r.raw_length) for r in read] == RECORDS
    assert [r.offset for r in read] == offsets == [FRAME_SIZE, 2 * FRAME_SIZE + 70, 3 * FRAME_SIZE + 403]


def test_a_stream_cut_short_is_corrupt():
    blocks, _ = stream_of(RECORDS)
    with pytest.raises(RepositoryCorruptError, match="ends early"):
        list(StreamReader(KEY, iter(blocks[:-1])).records())


def test_another_key_cannot_read_the_frames():
    blocks, _ = stream_of(RECORDS)
    with pytest.raises(RepositoryCorruptError, match="failed authentication"):
        list(StreamReader(MasterKey.generate(), iter(blocks)).records())
