"""Pools in use: media sets per allocation, lazy recycling of expired cartridges, WORM and keep never."""

from __future__ import annotations

import pytest
from tape_setup import MiB, back_up, day, digests, make_library, make_repository, random_files, restored_files

from bkctl.errors import ExitCode, StorageFullError
from bkctl.model.units import parse_duration
from bkctl.tape import PoolRule


@pytest.fixture
def setup(tmp_path):
    repository = make_repository(tmp_path / "repo")

    def point(number: int, size: int = MiB) -> tuple[str, object]:
        source = random_files(tmp_path / f"day{number}", {"data.bin": size})
        return back_up(repository, source, "rotated", day(number)), source

    return tmp_path, repository, point


def test_always_starts_a_set_per_run_and_continue_appends_across_runs(setup):
    tmp_path, repository, point = setup
    library = make_library(tmp_path / "library", cartridges=4, capacity=8 * MiB)
    rules = {"run": PoolRule("run", "always"), "long": PoolRule("long", "continue")}
    first_run = library.writer(rules, day(0))
    for number in (0, 1):
        first_run.write(repository, point(number)[0], "run")
    library.writer(rules, day(2)).write(repository, point(2)[0], "run")
    for number in (3, 4):
        library.writer(rules, day(number)).write(repository, point(number)[0], "long")
    sets = sorted(library.catalogs.values(), key=lambda c: c.created)
    assert [(c.pool, len(c.points), c.cartridges) for c in sets] == [
        ("run", 2, ("BK0001TT",)), ("run", 1, ("BK0002TT",)), ("long", 2, ("BK0003TT",))]
    assert library.changer.attributes("BK0001TT").state == "used"  # its set closed with its run


def test_expired_cartridges_are_recycled_only_when_a_cartridge_is_needed(setup):
    tmp_path, repository, point = setup
    library = make_library(tmp_path / "library", cartridges=3, capacity=8 * MiB)
    rules = {"daily": PoolRule("daily", "always", parse_duration("3d"))}
    written = {}
    for number in (0, 1, 2):
        written[number] = point(number)
        library.writer(rules, day(number)).write(repository, written[number][0], "daily")
    recyclable = [r.barcode for r in library.recyclability(rules, day(3)) if r.recyclable]
    assert recyclable == ["BK0001TT"]
    assert written[0][0] in {p.id for _, p in library.points()}  # expired, still listed: nothing needed its cartridge
    written[3] = point(3)
    entry = library.writer(rules, day(3)).write(repository, written[3][0], "daily")
    assert [p.cartridge for p in entry.parts] == ["BK0001TT"]
    assert written[0][0] not in {p.id for _, p in library.points()}
    for number in (2, 3):
        assert restored_files(library, written[number][0], tmp_path, written[number][1]) == digests(written[number][1])


def test_keep_pools_never_recycle_and_say_so_when_full(setup):
    tmp_path, repository, point = setup
    library = make_library(tmp_path / "library", cartridges=2, capacity=8 * MiB)
    rules = {"archive": PoolRule("archive", "always", "keep")}
    for number in (0, 1):
        library.writer(rules, day(number)).write(repository, point(number)[0], "archive")
    with pytest.raises(StorageFullError, match="pool 'archive' has no cartridge") as caught:
        library.writer(rules, day(4000)).write(repository, point(2)[0], "archive")
    assert caught.value.exit_code == ExitCode.STORAGE_FULL


def test_worm_pools_write_worm_cartridges_only_and_never_recycle_them(setup):
    tmp_path, repository, point = setup
    library = make_library(tmp_path / "library", cartridges=3, capacity=8 * MiB, worm=1)
    rules = {"vault": PoolRule("vault", "always", parse_duration("1d"), worm=True)}
    entry = library.writer(rules, day(0)).write(repository, point(0)[0], "vault")
    assert [p.cartridge for p in entry.parts] == ["BK9001TW"]
    assert library.changer.attributes("BK9001TW").worm
    with pytest.raises(StorageFullError, match="no WORM cartridge"):
        library.writer(rules, day(30)).write(repository, point(1)[0], "vault")
    assert {library.changer.attributes(b).state for b in ("BK0001TT", "BK0002TT")} == {"blank"}
