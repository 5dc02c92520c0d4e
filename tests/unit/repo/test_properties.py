"""Property tests: whatever the bytes, the engine gives back exactly what it was given."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from bkctl.repo.chunker import Chunker
from bkctl.repo.crypto import MasterKey, compress, decompress
from bkctl.repo.tree import decode_tree, encode_tree

KEY = MasterKey.generate()


@given(st.binary(max_size=4096), st.sampled_from([None, 0, 1, 3, 19]))
def test_compress_seal_open_decompress_round_trips(data: bytes, level: int | None):
    payload = bytes(compress(data, level))
    assert len(payload) <= len(data)
    sealed = KEY.seal(payload, b"d" + KEY.blob_id(data))
    assert decompress(KEY.open(sealed, b"d" + KEY.blob_id(data)), len(data)) == data


@settings(max_examples=20, deadline=None)
@given(st.binary(min_size=0, max_size=1 << 16), st.integers(min_value=1, max_value=40))
def test_chunks_concatenate_to_the_input(block: bytes, repeat: int):
    data = block * repeat * 10
    assert b"".join(Chunker(seed=3).chunks(io.BytesIO(data))) == data


names = st.text(min_size=1, max_size=20).filter(lambda n: "/" not in n and n not in (".", "..")
                                                and "\x00" not in n)


@given(st.lists(names, unique=True, max_size=10))
def test_trees_round_trip_any_safe_names(entries: list[str]):
    nodes = [{"name": name, "type": "file", "size": 1} for name in entries]
    decoded = decode_tree(encode_tree(nodes), "t")
    assert sorted(n["name"] for n in decoded) == sorted(entries)
