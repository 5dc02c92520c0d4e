"""The list of points pruned from a tape catalog: added idempotently, forgotten once recycled."""

from __future__ import annotations

from bkctl.tape.expired import add_expired, keep_expired, load_expired


def test_pruned_points_are_kept_apart_from_the_catalog_and_forgotten_when_gone(tmp_path):
    assert load_expired(tmp_path) == frozenset()
    assert add_expired(tmp_path, ["a", "b"]) == {"a", "b"}
    assert add_expired(tmp_path, ["b"]) == {"a", "b"}
    assert load_expired(tmp_path) == {"a", "b"}
    assert keep_expired(tmp_path, ["b", "c"]) == 1  # 'a' is on no cartridge any more
    assert load_expired(tmp_path) == {"b"}
