"""Catalog documents: canonical round trip, membership pruning, the sealed local copy."""

from __future__ import annotations

from tape_builders import media_set, point

from bkctl.repo.crypto import MasterKey
from bkctl.tape.catalog import CatalogStore, SetCatalog, keep_members


def test_a_catalog_survives_its_json_unchanged():
    catalog = media_set([point("a", ["A"], 0), point("b", ["A", "B"], 1, base="a")], ["A", "B"])
    assert SetCatalog.from_json(catalog.to_json()) == catalog
    assert SetCatalog.from_json(catalog.to_json()).canonical() == catalog.canonical()


def test_a_cartridge_leaving_the_set_takes_its_points_and_their_dependents():
    catalog = media_set([point("a", ["A"], 0), point("b", ["B"], 1, base="a"), point("c", ["B"], 2),
                         point("d", ["C"], 3, base="b")], ["A", "B", "C"])
    kept = keep_members(catalog, ["B", "C"])
    assert [p.id for p in kept.points] == ["c"] and kept.cartridges == ("B", "C")


def test_the_local_copy_is_sealed_and_remembers_the_tape_digest(tmp_path):
    key = MasterKey.generate()
    store = CatalogStore(tmp_path, key)
    catalog = media_set([point("a", ["A"], 0)], ["A"], pool="secret-pool-name")
    store.save(catalog, "digest-on-tape")
    store.save(catalog)  # a membership change keeps the digest of what is on tape
    raw = (tmp_path / "catalog" / "s1").read_bytes()
    assert b"secret-pool-name" not in raw and b"workload" not in raw
    again = CatalogStore(tmp_path, key)
    assert again.load_all() == {"s1": catalog} and again.tape_digests == {"s1": "digest-on-tape"}
