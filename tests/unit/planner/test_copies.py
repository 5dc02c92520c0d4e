"""Copies into replicas: what is missing is copied once, replicas keep their own retention."""

from datetime import timedelta

from planner_builders import HOST, NOW, points, target

from bkctl.model.manifest import Manifest
from bkctl.model.plan import ActionKind, WarningKind
from bkctl.model.state import ActualState, TargetState
from bkctl.planner import make_plan

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def replicated(retention: dict | None = None, replica_policy: str | None = None,
               direct: bool = False) -> Manifest:
    primary: dict = {"type": "disk", "path": "a", "replica": "second"}
    if replica_policy:
        primary["replica_policy"] = replica_policy
    return Manifest.model_validate({
        "version": 1,
        "targets": {"primary": primary, "second": {"type": "disk", "path": "b"}},
        "policies": {"std": {"schedule": {"every": "8h"}, "retention": retention or {"daily": 7}},
                     "short": {"schedule": {"every": "8h"}, "retention": {"last": 2}}},
        "workloads": {"etc": {"type": "files", "paths": ["/etc"], "policy": "std",
                              "targets": ["primary", "second"] if direct else ["primary"]}},
    })


def state(*targets: TargetState, host: str = HOST) -> ActualState:
    return ActualState(targets={t.name: t for t in targets}, host=host)


def kinds(plan) -> list[tuple[str, str]]:
    return [(str(a.kind), a.target) for a in plan.actions]


def copy_of(plan):
    [action] = [a for a in plan.actions if a.kind == ActionKind.COPY]
    return action


def test_points_missing_in_the_replica_are_copied_with_their_ids():
    history = points("etc", [HOUR, DAY + HOUR, 2 * DAY + HOUR])
    plan = make_plan(replicated(), state(target("primary", *history), target("second", history[2])), NOW)
    action = copy_of(plan)
    assert (action.target, action.source, action.workload) == ("second", "primary", "etc")
    assert [p.id for p in action.points] == ["etc-001", "etc-000"]  # oldest first
    assert action.detail == "2 recovery points from 'primary'"


def test_nothing_is_planned_when_the_replica_holds_every_point():
    history = points("etc", [HOUR, DAY + HOUR])
    plan = make_plan(replicated(), state(target("primary", *history), target("second", *history)), NOW)
    assert plan.actions == ()


def test_a_backup_in_this_apply_is_followed_by_a_copy_of_its_point():
    plan = make_plan(replicated(), state(target("primary", initialized=False),
                                         target("second", initialized=False)), NOW)
    assert kinds(plan) == [("init-target", "primary"), ("init-target", "second"),
                           ("backup", "primary"), ("copy", "second")]
    action = copy_of(plan)
    assert action.points == () and "the point this apply's backup makes" in action.detail


def test_backups_come_before_copies_and_copies_before_prunes():
    history = points("etc", [9 * HOUR, *(d * DAY for d in range(1, 10))])
    plan = make_plan(replicated(), state(target("primary", *history), target("second")), NOW)
    order = [a.kind for a in plan.actions]
    assert order.index(ActionKind.BACKUP) < order.index(ActionKind.COPY) < order.index(ActionKind.PRUNE)


def test_points_pruned_from_the_source_in_this_plan_are_not_copied():
    history = points("etc", [HOUR, *(d * DAY + HOUR for d in range(1, 10))])
    plan = make_plan(replicated(), state(target("primary", *history), target("second")), NOW)
    [prune] = [a for a in plan.actions if a.kind == ActionKind.PRUNE]
    copied = {p.id for p in copy_of(plan).points}
    assert copied and not copied & {p.id for p in prune.points}


def test_the_replica_policy_limits_what_is_copied_and_prunes_the_replica():
    history = points("etc", [HOUR, DAY + HOUR, 2 * DAY + HOUR])
    old = points("etc", [5 * DAY], host=HOST)[0].model_copy(update={"id": "etc-old"})
    plan = make_plan(replicated(replica_policy="short"),
                     state(target("primary", *history), target("second", old)), NOW)
    assert [p.id for p in copy_of(plan).points] == ["etc-001", "etc-000"]
    [prune] = [a for a in plan.actions if a.kind == ActionKind.PRUNE]
    assert (prune.target, [p.id for p in prune.points]) == ("second", ["etc-old"])


def test_partial_points_are_not_copied():
    good, partial = points("etc", [2 * HOUR, HOUR])
    partial = partial.model_copy(update={"partial": True})
    plan = make_plan(replicated(), state(target("primary", good, partial), target("second")), NOW)
    assert [p.id for p in copy_of(plan).points] == [good.id]


def test_copies_in_the_replica_are_not_orphans():
    history = points("etc", [HOUR])
    plan = make_plan(replicated(), state(target("primary", *history), target("second", *history)), NOW)
    assert not [w for w in plan.warnings if w.kind == WarningKind.ORPHANED_POINTS]


def test_an_unreachable_replica_is_a_plan_error_and_a_missing_copy_warning():
    down = TargetState(name="second", reachable=False, initialized=False, error="disk gone")
    plan = make_plan(replicated(), state(target("primary", *points("etc", [HOUR])), down), NOW)
    assert [w.kind for w in plan.warnings] == [WarningKind.MISSING_COPY]
    assert [e.target for e in plan.errors] == ["second"]
    assert not plan.actions


def test_a_workload_also_stored_directly_in_the_replica_is_pruned_there_only_once():
    history = points("etc", [HOUR, *(d * DAY + HOUR for d in range(1, 10))])
    plan = make_plan(replicated(direct=True),
                     state(target("primary", *history[:1]), target("second", *history)), NOW)
    assert [a.target for a in plan.actions if a.kind == ActionKind.PRUNE] == ["second"]


def test_points_of_another_host_are_neither_copied_nor_pruned_nor_orphans():
    mine = points("etc", [HOUR])
    theirs = points("etc", [HOUR, *(d * DAY for d in range(1, 12))], host="db-01")
    theirs = tuple(p.model_copy(update={"id": "db-" + p.id}) for p in theirs)
    plan = make_plan(replicated(), state(target("primary", *mine, *theirs), target("second", *mine)), NOW)
    assert plan.actions == ()
    assert not plan.warnings


def test_a_host_set_on_the_workload_owns_its_points():
    theirs = points("etc", [HOUR], host="db-01")
    manifest = replicated().model_copy(deep=True)
    data = manifest.model_dump()
    data["workloads"]["etc"]["host"] = "db-01"
    plan = make_plan(Manifest.model_validate(data),
                     state(target("primary", *theirs), target("second")), NOW)
    assert [p.id for p in copy_of(plan).points] == [theirs[0].id]


def test_the_plan_json_carries_the_source_of_a_copy_only():
    history = points("etc", [HOUR])
    plan = make_plan(replicated(), state(target("primary", *history), target("second")), NOW)
    text = plan.model_dump_json()
    assert text.count('"source"') == 1
