"""Losing the catalog: a scan of the cartridges rebuilds it exactly, reading a few blocks each."""

from __future__ import annotations

import shutil

import pytest
from tape_setup import PASSPHRASE, MiB, back_up, day, make_library, make_repository, random_files

from bkctl.model.units import parse_duration
from bkctl.tape import PoolRule, TapeLibrary
from bkctl.tape.durable import canonical_json

RULES = {"weekly": PoolRule("weekly", "weekly", parse_duration("14d")),
         "monthly": PoolRule("monthly", "monthly", "keep")}
# day -> (size of the point's data, pools it is written to); 2024-01-01 is a Monday.
HISTORY = {0: (3, ["weekly", "monthly"]), 3: (3, ["weekly"]), 7: (9, ["weekly"]), 10: (3, ["weekly"]),
           14: (3, ["weekly", "monthly"]), 21: (3, ["weekly"])}


def snapshot(library: TapeLibrary) -> bytes:
    return canonical_json({m: c.to_json() for m, c in sorted(library.store.load_all().items())})


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Six days of points in a weekly and a monthly pool; one spans, one recycles a cartridge."""
    work = tmp_path_factory.mktemp("catalog")
    repository = make_repository(work / "repo")
    library = make_library(work / "library", cartridges=5, capacity=8 * MiB)
    for number, (size, pools) in HISTORY.items():
        source = random_files(work / f"day{number}", {"data.bin": size * MiB})
        point_id = back_up(repository, source, "catalogued", day(number))
        writer = library.writer(RULES, day(number))
        for pool in pools:
            writer.write(repository, point_id, pool)
    return work, library


def test_the_history_used_spanning_weekly_sets_and_recycling(history):
    _, library = history
    sets = sorted(library.catalogs.values(), key=lambda c: c.created)
    assert [(c.pool, c.period, len(c.points)) for c in sets] == [
        ("monthly", "2024-01", 2), ("weekly", "2024-W02", 2), ("weekly", "2024-W03", 1), ("weekly", "2024-W04", 1)]
    assert any(len(p.parts) == 2 for c in sets for p in c.points)
    week4 = sets[-1]
    assert library.changer.attributes(week4.cartridges[0]).loads > 1  # a recycled cartridge, not a new one


@pytest.mark.parametrize("full", [False, True], ids=["labels-and-last-catalogs", "full"])
def test_a_scan_rebuilds_the_catalog_exactly(history, full):
    work, library = history
    before = snapshot(library)
    shutil.rmtree(work / "library" / "catalog")
    result = library.scan(full=full)
    assert snapshot(library) == before
    assert snapshot(TapeLibrary.open(work / "library", PASSPHRASE)) == before
    if not full:
        assert {scan.barcode: scan.blocks_read for scan in result.cartridges} == {
            scan.barcode: 3 if scan.set_label else 0 for scan in result.cartridges}


def test_a_local_catalog_left_behind_by_a_kill_is_noticed_and_taken_from_tape(history):
    work, library = history
    current = next(c for c in library.catalogs.values() if c.period == "2024-W04")
    saved = (work / "library" / "catalog" / current.media_set).read_bytes()
    source = random_files(work / "day22", {"data.bin": MiB // 2})
    repository = make_repository(work / "repo22")
    library.writer(RULES, day(22)).write(repository, back_up(repository, source, "catalogued", day(22)), "weekly")
    after = snapshot(library)
    (work / "library" / "catalog" / current.media_set).write_bytes(saved)  # as if killed before the local save
    stale = TapeLibrary.open(work / "library", PASSPHRASE)
    assert stale.out_of_sync() == [current.media_set]
    assert stale.sync() == [current.media_set]
    assert snapshot(stale) == after and stale.out_of_sync() == []
