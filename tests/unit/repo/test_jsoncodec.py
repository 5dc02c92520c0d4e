"""The fast JSON codec: canonical bytes equal the standard encoder's, so tree ids never change."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bkctl.repo.jsoncodec import canonical, compact, loads_bounded
from bkctl.repo.tree import decode_tree, encode_tree

# Text as file names come: any code point, including DEL, controls and the lone
# surrogates that undecodable bytes become under surrogateescape.
names = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=12)
scalars = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | names
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(names, inner, max_size=4), max_leaves=20)


def standard(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


@settings(max_examples=400)
@given(values)
def test_canonical_is_the_standard_encoders_bytes(value):
    assert canonical(value) == standard(value)


bounded = st.recursive(st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1) | names,
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=4),
                       max_leaves=20)


@settings(max_examples=200)
@given(bounded)
def test_compact_and_loads_round_trip(value):
    assert loads_bounded(compact(value)) == value
    assert loads_bounded(standard(value)) == value  # what older versions wrote reads back too


def test_tree_ids_stay_what_the_standard_encoder_gave_for_every_kind_of_name():
    for name in ["plain.txt", "caf\u00e9", "del\x7f", "undecodable\udcff", "tab\tnew\nline", "\u2028"]:
        nodes = [{"name": name, "type": "file", "inode": 2**63, "content": ["ab" * 32]}]
        ordered = {"version": 1, "nodes": nodes}
        assert encode_tree(nodes) == standard(ordered)
        assert decode_tree(encode_tree(nodes), "t")[0]["name"] == name


def test_a_file_dated_in_the_year_3000_keeps_an_integer_time_in_its_tree():
    # 32503680000000000000 ns does not fit 64 bits: orjson would decode it as a float
    nodes = [{"name": "future", "type": "file", "mtime_ns": 32503680000000000000, "ctime_ns": -(2**64)}]
    decoded = decode_tree(encode_tree(nodes), "t")[0]
    assert decoded["mtime_ns"] == 32503680000000000000 and isinstance(decoded["mtime_ns"], int)
    assert decoded["ctime_ns"] == -(2**64)
