"""Chunk lists: sealed, per media set and point; a missing or damaged one reads as missing."""

from __future__ import annotations

import os

from bkctl.repo.crypto import MasterKey
from bkctl.tape.catalog import CatalogStore
from bkctl.tape.chunklists import ChunkLists

IDS = [os.urandom(32) for _ in range(50)]


def test_a_saved_list_loads_back_and_a_chain_is_the_union(tmp_path):
    lists = ChunkLists(tmp_path, MasterKey.generate())
    lists.save("set", "full", IDS[:30])
    lists.save("set", "inc", IDS[30:])
    assert lists.load("set", "full") == set(IDS[:30])
    assert lists.chain("set", ["full", "inc"]) == set(IDS)


def test_a_missing_damaged_or_foreign_list_is_none_and_so_is_its_chain(tmp_path):
    key = MasterKey.generate()
    lists = ChunkLists(tmp_path, key)
    lists.save("set", "full", IDS)
    assert lists.chain("set", ["full", "gone"]) is None
    path = tmp_path / "chunk-lists" / "set" / "full"
    (tmp_path / "chunk-lists" / "other").mkdir()
    (tmp_path / "chunk-lists" / "other" / "full").write_bytes(path.read_bytes())
    assert lists.load("other", "full") is None  # sealed for its own media set
    assert ChunkLists(tmp_path, MasterKey.generate()).load("set", "full") is None
    path.write_bytes(path.read_bytes()[:-1] + bytes([path.read_bytes()[-1] ^ 1]))
    assert lists.load("set", "full") is None


def test_the_ids_are_not_readable_in_the_file(tmp_path):
    lists = ChunkLists(tmp_path, MasterKey.generate())
    lists.save("set", "full", IDS)
    raw = (tmp_path / "chunk-lists" / "set" / "full").read_bytes()
    assert not any(chunk_id[:8] in raw for chunk_id in IDS)


def test_deleting_a_catalog_deletes_its_sets_lists(tmp_path):
    store = CatalogStore(tmp_path, MasterKey.generate())
    store.chunk_lists.save("set", "full", IDS)
    store.delete("set")
    assert store.chunk_lists.load("set", "full") is None and not (tmp_path / "chunk-lists" / "set").exists()
