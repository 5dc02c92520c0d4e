"""Trees are canonical (Merkle dedup depends on it) and refuse unsafe names."""

from __future__ import annotations

import io
import os

import pytest

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.chunker import Chunker
from bkctl.repo.tree import decode_tree, encode_tree


def test_encoding_is_independent_of_node_and_key_order():
    first = encode_tree([{"name": "b", "type": "file"}, {"type": "dir", "name": "a"}])
    second = encode_tree([{"name": "a", "type": "dir"}, {"name": "b", "type": "file"}])
    assert first == second


@pytest.mark.parametrize("name", ["..", ".", "", "a/b", "x\x00"])
def test_decoding_refuses_names_that_could_escape(name):
    with pytest.raises(RepositoryCorruptError, match="unsafe name"):
        decode_tree(encode_tree([{"name": name, "type": "file"}]), "t1")


def test_chunks_reassemble_and_respect_the_maximum_size():
    data = os.urandom(9 << 20) + b"\0" * (9 << 20)
    chunker = Chunker(seed=7)
    chunks = list(chunker.chunks(io.BytesIO(data)))
    assert b"".join(chunks) == data
    assert max(map(len, chunks)) <= chunker.maximum_size and len(chunks) >= 5


def test_an_insertion_changes_only_nearby_chunks():
    data = os.urandom(12 << 20)
    before = set(Chunker(seed=7).chunks(io.BytesIO(data)))
    after = set(Chunker(seed=7).chunks(io.BytesIO(data[:6_000_000] + b"x" + data[6_000_000:])))
    assert len(before - after) <= 2
