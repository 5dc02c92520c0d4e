"""Backup due-ness: the definition digest of the newest point against today's."""

from __future__ import annotations

from datetime import timedelta

from planner_builders import NOW, manifest, points, state, target

from bkctl.model.definition import definition_digest
from bkctl.model.plan import ActionKind, Reason
from bkctl.model.policy import Schedule
from bkctl.planner import make_plan
from bkctl.planner.backups import newest_good, plan_backup

HOUR = timedelta(hours=1)
EVERY_8H = Schedule.model_validate({"every": "8h"})


def made_from(definition: str, *ages: timedelta) -> tuple:
    return tuple(p.model_copy(update={"definition": definition}) for p in points("etc", list(ages)))


def test_a_point_of_another_definition_makes_a_backup_due_at_once() -> None:
    action = plan_backup("etc", "local", EVERY_8H, newest_good(made_from("old", HOUR)), NOW, False, "new")
    assert action is not None and action.reason == Reason.DEFINITION_CHANGED
    assert "definition changed" in action.detail and "etc-000" in action.detail


def test_the_same_definition_or_an_unrecorded_one_is_not_a_change() -> None:
    assert plan_backup("etc", "local", EVERY_8H, newest_good(made_from("same", HOUR)), NOW, False, "same") is None
    # a point made by an older bkctl recorded no digest
    assert plan_backup("etc", "local", EVERY_8H, newest_good(made_from("", HOUR)), NOW, False, "new") is None


def test_a_changed_definition_outranks_schedule_due_but_not_forced_or_never() -> None:
    due = plan_backup("etc", "local", EVERY_8H, newest_good(made_from("old", 9 * HOUR)), NOW, False, "new")
    assert due is not None and due.reason == Reason.DEFINITION_CHANGED
    forced = plan_backup("etc", "local", EVERY_8H, newest_good(made_from("old", HOUR)), NOW, True, "new")
    assert forced is not None and forced.reason == Reason.FORCED


def test_only_the_newest_complete_point_counts() -> None:
    older, newer = made_from("old", 2 * HOUR)[0], made_from("new", HOUR)[0]
    assert plan_backup("etc", "local", EVERY_8H, newest_good((older, newer)), NOW, False, "new") is None
    partial = made_from("new", HOUR / 2)[0].model_copy(update={"id": "etc-partial", "partial": True})
    action = plan_backup("etc", "local", EVERY_8H, newest_good((older, partial)), NOW, False, "new")
    assert action is not None and action.reason == Reason.DEFINITION_CHANGED


def test_make_plan_compares_with_the_digest_of_the_manifest_workload() -> None:
    m = manifest()
    current = definition_digest(m.workloads["etc"])
    unchanged = make_plan(m, state(target("local", *made_from(current, HOUR)), target("offsite")), NOW,
                          workloads={"etc"})
    assert not [a for a in unchanged.actions if a.kind == ActionKind.BACKUP]
    changed = make_plan(m, state(target("local", *made_from("before", HOUR)), target("offsite")), NOW,
                        workloads={"etc"})
    assert [(a.workload, a.reason) for a in changed.actions] == [("etc", Reason.DEFINITION_CHANGED)]
