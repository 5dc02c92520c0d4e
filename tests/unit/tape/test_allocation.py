"""Media sets per pool allocation, and which cartridge a write takes: append, scratch, blank, recycle."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tape_builders import cartridge, day, media_set, point

from bkctl.errors import ExitCode, StorageFullError
from bkctl.model.units import parse_duration
from bkctl.tape.allocation import choose_cartridge, current_set, period_of, set_is_open
from bkctl.tape.recycling import PoolRule, expiry_rule

WEEKLY = PoolRule("weekly", "weekly", parse_duration("7d"))
RULES = {"weekly": WEEKLY, "archive": PoolRule("archive", "yearly", "keep", worm=True)}


def test_periods_follow_iso_weeks_months_and_years():
    new_year = datetime(2021, 1, 3, tzinfo=UTC)  # a Sunday in ISO week 53 of 2020
    assert period_of("weekly", new_year) == "2020-W53"
    assert period_of("monthly", new_year) == "2021-01"
    assert period_of("yearly", new_year) == "2021"
    assert period_of("continue", new_year) == period_of("always", new_year) == ""


def test_a_set_stays_open_for_its_period_and_always_only_for_its_run():
    current = media_set([], ["A"])
    weekly = media_set([], ["A"])
    weekly = weekly.__class__(**{**weekly.__dict__, "period": period_of("weekly", day(0))})
    assert set_is_open(weekly, WEEKLY, day(1), set())
    assert not set_is_open(weekly, WEEKLY, day(7), set())
    assert set_is_open(current, PoolRule("p", "continue"), day(900), set())
    assert not set_is_open(current, PoolRule("p", "always"), day(0), set())
    assert set_is_open(current, PoolRule("p", "always"), day(0), {"s1"})


def test_the_current_set_is_the_newest_with_cartridges():
    old, new, empty = (media_set([], ["A"], name="old", created=0), media_set([], ["B"], name="new", created=5),
                       media_set([], [], name="empty", created=9))
    assert current_set({c.media_set: c for c in (old, new, empty)}, "weekly") is new


NOW = day(30)


def choose(cartridges, catalog=None, rule=WEEKLY, now=NOW, offsite=()):
    catalogs = {catalog.media_set: catalog} if catalog else {}
    return choose_cartridge(cartridges, lambda b: b in offsite, catalogs, catalog, rule, RULES,
                            expiry_rule(RULES, now))


def test_the_writable_end_of_the_set_comes_first():
    catalog = media_set([], ["A", "B"])
    cartridges = [cartridge("A"), cartridge("B", state="append"), cartridge("C", state="scratch", media_set=None)]
    assert (choose(cartridges, catalog).barcode, choose(cartridges, catalog).action) == ("B", "append")


def test_scratch_before_blank_before_recycling_the_oldest_written():
    expired = media_set([point("p", ["A"], 0), point("q", ["B"], 0)], ["A", "B"])
    cartridges = [cartridge("A", last_written=3), cartridge("B", last_written=1),
                  cartridge("D", state="blank", media_set=None), cartridge("E", state="scratch", media_set=None)]
    assert choose(cartridges, expired).action == "scratch"
    assert choose(cartridges[:3], expired).action == "label"
    recycled = choose(cartridges[:2], expired)
    assert (recycled.barcode, recycled.action) == ("B", "recycle")


def test_off_site_and_worm_cartridges_are_not_taken_by_an_ordinary_pool():
    cartridges = [cartridge("E", state="scratch", media_set=None),
                  cartridge("W", state="scratch", media_set=None, worm=True)]
    with pytest.raises(StorageFullError, match="no cartridge") as caught:
        choose(cartridges, offsite={"E"})
    assert caught.value.exit_code == ExitCode.STORAGE_FULL
    assert choose(cartridges, rule=RULES["archive"]).barcode == "W"


def test_nothing_is_recycled_while_a_point_on_it_lives():
    live = media_set([point("p", ["A"], 25)], ["A"])
    with pytest.raises(StorageFullError):
        choose([cartridge("A")], live)
