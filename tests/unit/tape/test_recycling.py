"""Chain-aware recyclability as a pure function: a base stays while anything depending on it lives."""

from __future__ import annotations

from datetime import timedelta

from tape_builders import cartridge, day, media_set, point

from bkctl.model.units import parse_duration
from bkctl.tape.recycling import PoolRule, assess, expiry_rule

RULES = {"weekly": PoolRule("weekly", "continue", parse_duration("7d")), "forever": PoolRule("forever", "continue",
                                                                                            "keep")}
# A full on A, its incrementals on B (the second also based on the first incremental).
CHAIN = media_set([point("full", ["A"], 0), point("inc1", ["B"], 2, base="full"),
                   point("inc2", ["B"], 4, base="inc1")], ["A", "B"])


def recyclable(attributes, now, catalog=CHAIN, expired_ids=frozenset()):
    return assess(attributes, {catalog.media_set: catalog}, RULES, expiry_rule(RULES, now, expired_ids))


def test_a_full_is_held_by_the_incrementals_based_on_it():
    verdict = recyclable(cartridge("A"), day(8))  # the full expired on day 7, its incrementals have not
    assert not verdict.recyclable and verdict.waiting_for == ("inc1", "inc2")


def test_the_incrementals_cartridge_waits_for_its_own_points():
    assert recyclable(cartridge("B"), day(8)).waiting_for == ("inc1", "inc2")
    assert recyclable(cartridge("B"), day(10)).waiting_for == ("inc2",)


def test_once_the_whole_chain_expired_both_cartridges_are_recyclable():
    assert recyclable(cartridge("A"), day(11)).recyclable
    assert recyclable(cartridge("B"), day(11)).recyclable


def test_expiry_is_exactly_the_retention_after_the_point():
    single = media_set([point("p", ["A"], 0)], ["A"])
    assert not recyclable(cartridge("A"), day(7) - timedelta(seconds=1), single).recyclable
    assert recyclable(cartridge("A"), day(7), single).recyclable


def test_points_the_policy_let_go_count_as_expired():
    assert recyclable(cartridge("A"), day(1), expired_ids=frozenset({"full", "inc1", "inc2"})).recyclable


def test_a_point_spanning_two_cartridges_holds_both():
    spanning = media_set([point("big", ["A", "B"], 0), point("later", ["B"], 5)], ["A", "B"])
    assert recyclable(cartridge("A"), day(8), spanning).recyclable
    assert recyclable(cartridge("B"), day(8), spanning).waiting_for == ("later",)


def test_worm_keep_and_unknown_pools_are_never_recyclable():
    assert "WORM" in recyclable(cartridge("A", worm=True), day(400)).reason
    kept = media_set([point("p", ["A"], 0)], ["A"], pool="forever")
    assert not recyclable(cartridge("A"), day(4000), kept).recyclable
    gone = media_set([point("p", ["A"], 0)], ["A"], pool="removed-from-manifest")
    assert not recyclable(cartridge("A"), day(4000), gone).recyclable


def test_scratch_and_unknown_sets_are_not_recycled():
    assert not recyclable(cartridge("C", state="scratch", media_set=None), day(100)).recyclable
    assert "scan" in recyclable(cartridge("C", media_set="lost"), day(100)).reason


def test_the_empty_writable_end_of_a_set_is_not_recycled():
    assert not recyclable(cartridge("C", state="append"), day(100), media_set([], ["C"])).recyclable
