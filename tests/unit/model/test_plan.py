"""Plan data: one exit code for several failures, and a summary that never hides an error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bkctl.model.plan import Action, ActionKind, ErrorKind, Plan, PlanError, Reason, combined_exit_code

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


@pytest.mark.parametrize(("codes", "combined"), [
    ([], 0), ([0, 0], 0), ([65], 65), ([69, 69], 69), ([65, 69], 1), ([70, 0, 70], 70), ([1, 65], 1),
])
def test_failures_agreeing_keep_their_code_and_mixed_ones_give_1(codes: list[int], combined: int) -> None:
    assert combined_exit_code(codes) == combined


def unreachable(target: str, cause: str, code: int) -> PlanError:
    return PlanError(kind=ErrorKind.TARGET_UNREACHABLE, target=target, message="m", cause=cause, exit_code=code)


def test_the_summary_names_every_unreadable_target_after_the_changes() -> None:
    backup = Action(kind=ActionKind.BACKUP, target="local", workload="etc", reason=Reason.SCHEDULE_DUE)
    plan = Plan(created=NOW, now=NOW, actions=(backup, backup),
                errors=(unreachable("offsite", "passphrase", 65), unreachable("tape", "target-unreachable", 69)))
    assert plan.summary() == ("Plan: 2 backups. 2 targets unreachable: offsite (wrong or missing passphrase), "
                              "tape (cannot connect).")
    assert plan.exit_code == 1


def test_an_incomplete_plan_without_actions_does_not_say_no_changes() -> None:
    plan = Plan(created=NOW, now=NOW, errors=(unreachable("offsite", "credentials-missing", 65),))
    assert plan.summary() == ("No changes in the targets that could be read. "
                              "1 target unreachable: offsite (missing credentials).")
    assert plan.exit_code == 65 and Plan(created=NOW, now=NOW).exit_code == 0
