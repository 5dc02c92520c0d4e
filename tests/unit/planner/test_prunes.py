"""The mass-prune rails: a count per apply, and a share of one workload's history."""

from __future__ import annotations

from datetime import timedelta

from planner_builders import NOW, manifest, points, state, target

from bkctl.model.plan import Action, ActionKind, PrunedPoint, Reason, WarningKind
from bkctl.planner import make_plan
from bkctl.planner.prunes import MASS_PRUNE_SHARE_MIN_POINTS, mass_prune_warnings

HOURS = timedelta(hours=1)


def prune(count: int, reason: Reason = Reason.RETENTION, workload: str = "etc") -> Action:
    pruned = tuple(PrunedPoint(id=f"p{n}", time=NOW - n * HOURS) for n in range(count))
    return Action(kind=ActionKind.PRUNE, target="local", workload=workload, reason=reason, points=pruned)


def test_more_than_half_of_a_workloads_points_needs_confirmation() -> None:
    [warning] = mass_prune_warnings([prune(3)], limit=50, history={("local", "etc"): 5})
    assert warning.kind == WarningKind.MASS_PRUNE and (warning.target, warning.workload) == ("local", "etc")
    assert "prunes 3 of the 5 recovery points of workload 'etc' in target 'local'" in warning.message


def test_half_or_less_is_routine() -> None:
    assert mass_prune_warnings([prune(2)], limit=50, history={("local", "etc"): 4}) == ()


def test_a_tiny_history_never_trips_the_share_rule() -> None:
    small = MASS_PRUNE_SHARE_MIN_POINTS - 1
    assert mass_prune_warnings([prune(small - 1)], limit=50, history={("local", "etc"): small}) == ()
    assert mass_prune_warnings([prune(3)], limit=50, history={("local", "etc"): 4})


def test_orphan_prunes_are_left_to_the_count() -> None:
    assert mass_prune_warnings([prune(9, Reason.ORPHANED)], limit=50, history={("local", "etc"): 9}) == ()
    [count] = mass_prune_warnings([prune(9, Reason.ORPHANED)], limit=5, history={})
    assert "more than settings.max_prune_per_apply (5)" in count.message


def test_a_retention_typo_on_a_small_history_asks_for_confirmation_in_the_plan() -> None:
    history = points("etc", [HOURS * 9 * n for n in range(1, 11)])  # ten points, nine hours apart
    plan = make_plan(manifest({"last": 3}), state(target("local", *history), target("offsite")), NOW,
                     workloads={"etc"})
    assert plan.count(ActionKind.PRUNE) == 7 and plan.needs_confirmation
    assert [w.kind for w in plan.warnings] == [WarningKind.MASS_PRUNE]


def test_a_steady_retention_does_not_ask() -> None:
    history = points("etc", [HOURS * 9 * n for n in range(1, 5)])
    plan = make_plan(manifest({"last": 3}), state(target("local", *history), target("offsite")), NOW,
                     workloads={"etc"})
    assert plan.count(ActionKind.PRUNE) == 1 and not plan.needs_confirmation
