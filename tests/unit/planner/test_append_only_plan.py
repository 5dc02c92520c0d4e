"""Append-only disk targets in the plan: without the owner key, prunes and reclaims are held back and said why."""

from __future__ import annotations

from datetime import timedelta

from planner_builders import NOW, manifest, points, state, target

from bkctl.model.manifest import Manifest
from bkctl.model.plan import ActionKind, Plan, WarningKind
from bkctl.model.state import ActualState
from bkctl.planner import make_plan
from bkctl.planner.protection import evaluate_protection

HOURS = [timedelta(hours=1 + 8 * i) for i in range(6)]  # six points 8 h apart; retention last 2 prunes four


def plan_with(role: str, **extra: object) -> Plan:
    history = points("etc", HOURS)
    observed = state(target("local", *history, append_only_role=role, **extra), target("offsite"))
    return make_plan(manifest(retention={"last": 2}), observed, NOW)


def kinds(plan: Plan, target_name: str = "local") -> list[ActionKind]:
    return [a.kind for a in plan.actions if a.target == target_name]


def test_without_the_owner_key_no_prune_or_reclaim_is_planned_and_a_warning_names_the_points() -> None:
    plan = plan_with("writer")
    assert ActionKind.PRUNE not in kinds(plan) and ActionKind.RECLAIM not in kinds(plan)
    [held] = [w for w in plan.warnings if w.kind == WarningKind.KEPT_APPEND_ONLY]
    assert held.target == "local" and held.workload == "etc"
    assert held.message.startswith("4 recovery points of workload 'etc' in target 'local' that the plan would "
                                   "prune are kept (etc-002, etc-003, etc-004, etc-005)")
    assert "append-only and this run opened it with a writer key; prune with the owner key" in held.message


def test_with_the_owner_key_the_same_history_is_pruned_and_reclaimed_as_usual() -> None:
    plan = plan_with("")
    pruned = [p.id for a in plan.actions if a.kind == ActionKind.PRUNE for p in a.points]
    assert sorted(pruned) == ["etc-002", "etc-003", "etc-004", "etc-005"]
    assert ActionKind.RECLAIM in kinds(plan)
    assert not [w for w in plan.warnings if w.kind == WarningKind.KEPT_APPEND_ONLY]


def test_a_manager_key_is_held_back_too_and_backups_still_go_ahead() -> None:
    history = points("etc", [timedelta(hours=9 + 8 * i) for i in range(4)])
    observed = state(target("local", *history, append_only_role="manager"), target("offsite"))
    plan = make_plan(manifest(retention={"last": 2}), observed, NOW)
    assert set(kinds(plan)) == {ActionKind.BACKUP}
    assert "opened it with a manager key" in plan.warnings[0].message


def test_marked_data_ripe_for_deletion_waits_for_the_owner() -> None:
    ripe = {"marked_bytes": 1 << 20, "reclaim_ready": NOW - timedelta(hours=1)}
    assert ActionKind.RECLAIM in kinds(plan_with("", **ripe))
    assert ActionKind.RECLAIM not in kinds(plan_with("writer", **ripe))


def test_prunes_of_copies_in_an_append_only_replica_are_held_back() -> None:
    spec = Manifest.model_validate({
        "version": 1,
        "targets": {"primary": {"type": "disk", "path": "a", "replica": "second"},
                    "second": {"type": "disk", "path": "b", "append_only": True}},
        "policies": {"p": {"schedule": {"every": "8h"}, "retention": {"last": 2}}},
        "workloads": {"etc": {"type": "files", "paths": ["/etc"], "policy": "p", "targets": ["primary"]}},
    })
    copies = points("etc", HOURS)
    observed = state(target("primary", *copies[:2]), target("second", *copies, append_only_role="writer"))
    assert ActionKind.PRUNE in kinds(make_plan(spec, observed.model_copy(update={"targets": {
        **observed.targets, "second": target("second", *copies)}}), NOW), "second")
    plan = make_plan(spec, observed, NOW)
    assert ActionKind.PRUNE not in kinds(plan, "second")
    held = [w for w in plan.warnings if w.kind == WarningKind.KEPT_APPEND_ONLY]
    assert [(w.target, w.workload) for w in held] == [("second", "etc")]


def test_an_append_only_disk_copy_does_not_count_as_immutable_for_3_2_1_1_0() -> None:
    rule = Manifest.model_validate({
        "version": 1, "protection": "1-1-0-1",
        "targets": {"local": {"type": "disk", "path": "/r", "append_only": True}},
        "policies": {"p": {"schedule": {"every": "8h"}, "retention": {"last": 9}}},
        "workloads": {"etc": {"type": "files", "paths": ["/etc"], "policy": "p", "targets": ["local"]}},
    })
    observed = ActualState(host="web-01", targets={"local": target("local", *points("etc", HOURS[:1]))})
    verdict = evaluate_protection(rule, observed, "etc", "web-01", NOW)
    assert verdict is not None
    immutable = [letter for letter in verdict.letters if letter.letter == "immutable"]
    assert immutable and not immutable[0].ok
