"""Due-ness of interval, per_day and cron schedules, with the CI tolerance."""

from datetime import UTC, datetime, timedelta

import pytest

from bkctl.model.policy import Schedule
from bkctl.planner.schedule import interval_of, is_due, next_due, tolerance

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_tolerance_is_two_percent_capped_at_five_minutes() -> None:
    assert tolerance(timedelta(hours=1)) == timedelta(seconds=72)
    assert tolerance(timedelta(hours=8)) == timedelta(minutes=5)


def test_a_workload_never_backed_up_is_due() -> None:
    assert is_due(Schedule(every="8h"), None, T0)


@pytest.mark.parametrize(
    ("age", "due"),
    [(timedelta(hours=7), False), (timedelta(hours=7, minutes=54), False),
     (timedelta(hours=7, minutes=55), True), (timedelta(hours=9), True)],
)
def test_every_8h_is_due_after_the_interval_minus_tolerance(age: timedelta, due: bool) -> None:
    assert is_due(Schedule(every="8h"), T0, T0 + age) is due


def test_a_ci_job_every_15_minutes_backs_up_once_per_interval() -> None:
    schedule = Schedule(every="1h")
    newest, runs = T0 + timedelta(seconds=40), 0
    for tick in range(1, 4 * 24 + 1):
        now = T0 + timedelta(minutes=15 * tick, seconds=40)
        if is_due(schedule, newest, now):
            newest, runs = now, runs + 1
    assert runs == 24


def test_per_day_3_means_every_8_hours() -> None:
    schedule = Schedule(per_day=3)
    assert interval_of(schedule, T0) == timedelta(hours=8)
    assert not is_due(schedule, T0, T0 + timedelta(hours=7))
    assert is_due(schedule, T0, T0 + timedelta(hours=8))


def test_cron_is_due_once_a_slot_passed_since_the_newest_point() -> None:
    schedule = Schedule(cron="0 */8 * * *")
    newest = T0 + timedelta(minutes=3)
    assert next_due(schedule, newest) == T0 + timedelta(hours=8)
    assert not is_due(schedule, newest, T0 + timedelta(hours=7, minutes=59))
    assert is_due(schedule, newest, T0 + timedelta(hours=8))
    assert interval_of(schedule, newest) == timedelta(hours=8)


def test_cron_slots_are_read_in_the_policy_time_zone() -> None:
    schedule = Schedule(cron="0 2 * * *", timezone="Europe/Paris")
    newest = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert next_due(schedule, newest) == datetime(2026, 7, 2, 0, 0, tzinfo=UTC)  # CEST
    winter = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    assert next_due(schedule, winter) == datetime(2026, 1, 11, 1, 0, tzinfo=UTC)  # CET
