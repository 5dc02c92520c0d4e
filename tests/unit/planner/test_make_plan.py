"""make_plan end to end on small manifests and states."""

import gc
from datetime import timedelta

from planner_builders import (
    NOW,
    fresh_state,
    manifest,
    points,
    state,
    target,
)

from bkctl.model.plan import ActionKind, ErrorKind, Reason, WarningKind
from bkctl.model.state import TargetState
from bkctl.planner import make_plan

HOURS = timedelta(hours=1)


def kinds(plan) -> list[tuple[str, str, str | None]]:
    return [(a.kind, a.target, a.workload) for a in plan.actions]


def test_a_fresh_target_is_initialised_then_every_workload_backed_up() -> None:
    plan = make_plan(manifest(), state(target("local", initialized=False),
                                       target("offsite", initialized=False)), NOW)
    assert kinds(plan) == [
        ("init-target", "local", None), ("init-target", "offsite", None),
        ("backup", "local", "etc"), ("backup", "local", "www"), ("backup", "offsite", "www"),
    ]
    assert {a.reason for a in plan.actions if a.kind == ActionKind.BACKUP} == {
        Reason.NEVER_BACKED_UP}
    assert plan.summary() == "Plan: 3 backups, 2 targets to initialise."


def test_an_up_to_date_state_gives_an_empty_plan() -> None:
    plan = make_plan(manifest(), fresh_state(), NOW)
    assert not plan.has_changes
    assert plan.summary() == "No changes."
    assert plan.warnings == ()


def test_a_backup_is_due_after_9h_with_an_8h_policy() -> None:
    observed = fresh_state().targets
    late = target("local", *points("etc", [9 * HOURS]), *points("www", [HOURS]))
    plan = make_plan(manifest(), state(late, observed["offsite"]), NOW)
    assert kinds(plan) == [("backup", "local", "etc")]
    assert plan.actions[0].reason == Reason.SCHEDULE_DUE
    assert "is 9h old; schedule every 8h" in plan.actions[0].detail


def test_a_partial_point_does_not_make_a_backup_not_due() -> None:
    partial = points("etc", [HOURS])[0].model_copy(update={"partial": True})
    old = points("etc", [20 * HOURS])[0].model_copy(update={"id": "etc-old"})
    plan = make_plan(manifest(), state(target("local", partial, old), target("offsite")), NOW,
                     workloads={"etc"})
    assert ("backup", "local", "etc") in kinds(plan)
    assert [w.kind for w in plan.warnings] == [WarningKind.RPO_BREACH]


def test_replace_forces_a_backup_and_filters_narrow_the_plan() -> None:
    plan = make_plan(manifest(), fresh_state(), NOW, replace={"www"}, targets={"offsite"})
    assert kinds(plan) == [("backup", "offsite", "www")]
    assert plan.actions[0].reason == Reason.FORCED


def test_points_no_rule_keeps_are_pruned_then_space_reclaimed() -> None:
    history = points("etc", [HOURS * h for h in range(1, 24 * 10, 12)])
    plan = make_plan(manifest(), state(target("local", *history, *points("www", [HOURS])),
                                       fresh_state().targets["offsite"]), NOW)
    assert kinds(plan) == [("prune", "local", "etc"), ("reclaim", "local", None)]
    prune = plan.actions[0]
    assert len(prune.points) == 20 - 7
    assert all(p.rules_not_keeping == ("daily 7",) for p in prune.points)


def test_the_newest_good_point_is_never_pruned() -> None:
    newest_partial = points("etc", [HOURS])[0].model_copy(update={"partial": True})
    good = points("etc", [2 * HOURS])[0].model_copy(update={"id": "etc-good"})
    plan = make_plan(manifest({"last": 1}), state(target("local", newest_partial, good),
                                                  target("offsite")), NOW, workloads={"etc"})
    assert not any(a.kind == ActionKind.PRUNE for a in plan.actions)


def test_orphaned_points_are_warned_about_and_kept_unless_asked() -> None:
    orphans = points("old-db", [HOURS, 2 * HOURS])
    foreign = points("other", [HOURS], host="db-02")
    observed = fresh_state().targets
    local = target("local", *observed["local"].points, *orphans, *foreign)
    kept = make_plan(manifest(), state(local, observed["offsite"]), NOW)
    assert not kept.has_changes
    assert [(w.kind, w.workload) for w in kept.warnings] == [
        (WarningKind.ORPHANED_POINTS, "old-db")]
    pruned = make_plan(manifest(), state(local, observed["offsite"]), NOW, prune_orphans=True)
    assert kinds(pruned) == [("prune", "local", "old-db"), ("reclaim", "local", None)]
    assert pruned.actions[0].reason == Reason.ORPHANED


def test_more_prunes_than_allowed_need_confirmation() -> None:
    history = points("etc", [HOURS * h for h in range(1, 40)])
    plan = make_plan(manifest({"last": 2}, limit=10),
                     state(target("local", *history), target("offsite")), NOW, workloads={"etc"})
    assert plan.needs_confirmation
    mass = [w.message for w in plan.warnings if w.kind == WarningKind.MASS_PRUNE]
    assert any("prunes 37 recovery points, more than settings.max_prune_per_apply" in m for m in mass)


def test_an_unreachable_target_is_a_plan_error_with_its_exit_code_and_a_held_lock_a_warning() -> None:
    down = TargetState(name="offsite", reachable=False, initialized=False, error="wrong passphrase",
                       error_kind="passphrase", error_code=65, error_hint="check the passphrase")
    locked = target("local", *fresh_state().targets["local"].points, locks=("exclusive by h",))
    plan = make_plan(manifest(), state(locked, down), NOW)
    assert not plan.has_changes
    assert [w.kind for w in plan.warnings] == [WarningKind.LOCK_HELD]
    assert [(e.kind, e.target, e.cause, e.hint, e.exit_code) for e in plan.errors] == [
        (ErrorKind.TARGET_UNREACHABLE, "offsite", "passphrase", "check the passphrase", 65)]
    assert plan.exit_code == 65
    assert plan.summary() == ("No changes in the targets that could be read. "
                              "1 target unreachable: offsite (wrong or missing passphrase).")
    assert plan.fingerprints["offsite"] == "unreachable"


def test_unreachable_targets_failing_differently_give_the_generic_exit_code() -> None:
    first = TargetState(name="local", reachable=False, initialized=False, error="x", error_code=65)
    second = TargetState(name="offsite", reachable=False, initialized=False, error="y", error_code=69)
    assert make_plan(manifest(), state(first, second), NOW).exit_code == 1
    assert make_plan(manifest(), state(first, second.model_copy(update={"error_code": 65})), NOW).exit_code == 65


def test_verify_is_planned_when_the_policy_interval_passed() -> None:
    observed = fresh_state().targets
    verified = observed["local"].model_copy(update={"last_verified": NOW - timedelta(days=8)})
    recent = observed["offsite"].model_copy(update={"last_verified": NOW - timedelta(days=1)})
    plan = make_plan(manifest(verify={"every": "7d", "read_data": 5}), state(verified, recent), NOW)
    assert kinds(plan) == [("verify", "local", None)]
    assert plan.actions[0].read_data == 5  # apply reads back exactly what the policy asks
    assert plan.actions[0].detail == (
        "last verified 2026-11-16 12:00 UTC, 8d ago; every 7d; read 5% of data")


def test_the_same_inputs_give_the_same_plan() -> None:
    history = points("etc", [HOURS * h for h in range(1, 200, 5)])
    observed = state(target("local", *history), target("offsite", initialized=False))
    first, second = make_plan(manifest(), observed, NOW), make_plan(manifest(), observed, NOW)
    assert first == second
    assert first.model_dump_json() == second.model_dump_json()


def _large_history_state():
    history = points("etc", [HOURS * h for h in range(1, 3000)])
    return state(target("local", *history, *points("www", [HOURS])), fresh_state().targets["offsite"])


def test_planning_runs_no_collection_of_what_it_made() -> None:
    """The plan's objects go to the oldest generation instead of a young pass when the
    collector comes back on (a fifth of planning time at fleet scale)."""
    observed = _large_history_state()
    collections: list[int] = []

    def record(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.collect()
    gc.callbacks.append(record)
    try:
        plan = make_plan(manifest(), observed, NOW)
    finally:
        gc.callbacks.remove(record)
    assert len(plan.actions[0].points) > 2900 and collections == []
    assert gc.isenabled()


def test_planning_leaves_a_program_s_frozen_objects_frozen() -> None:
    observed = _large_history_state()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        make_plan(manifest(), observed, NOW)
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
