"""Retention rules one by one, over calendar edges, and properties that always hold."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bkctl.model.policy import Retention
from bkctl.planner.retention import apply_retention


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def kept(retention: Retention, times: list[datetime], zone=UTC) -> list[datetime]:
    verdicts = apply_retention(retention, [(t, t.isoformat()) for t in times], zone)
    return sorted(v.time for v in verdicts if v.kept)


def hourly_series(start: datetime, hours: int, step: int = 1) -> list[datetime]:
    return [start + timedelta(hours=h) for h in range(0, hours, step)]


def test_last_keeps_the_n_newest() -> None:
    times = hourly_series(at(2026, 1, 1), 10)
    assert kept(Retention(last=3), times) == times[-3:]


def test_daily_keeps_the_newest_point_of_each_of_the_n_latest_days() -> None:
    times = hourly_series(at(2026, 1, 1), 24 * 5, step=6)
    assert kept(Retention(daily=2), times) == [at(2026, 1, 4, 18), at(2026, 1, 5, 18)]


def test_days_without_points_do_not_use_up_the_count() -> None:
    times = [at(2026, 1, 1, 9), at(2026, 1, 5, 9), at(2026, 1, 9, 9)]
    assert kept(Retention(daily=3), times) == times


def test_hourly_periods_follow_the_clock_hour() -> None:
    times = [at(2026, 1, 1, 9, 5), at(2026, 1, 1, 9, 55), at(2026, 1, 1, 10, 1)]
    assert kept(Retention(hourly=5), times) == [at(2026, 1, 1, 9, 55), at(2026, 1, 1, 10, 1)]


def test_iso_week_53_spans_the_year_end() -> None:
    # 2020-12-31 (Thursday) and 2021-01-01 (Friday) are both in ISO week 2020-W53.
    times = [at(2020, 12, 27, 12), at(2020, 12, 31, 12), at(2021, 1, 1, 12), at(2021, 1, 4, 12)]
    verdicts = apply_retention(Retention(weekly=3), [(t, t.isoformat()) for t in times])
    reasons = {v.time: v.reasons for v in verdicts if v.kept}
    assert reasons == {
        at(2021, 1, 4, 12): ("weekly 2021-W01",),
        at(2021, 1, 1, 12): ("weekly 2020-W53",),
        at(2020, 12, 27, 12): ("weekly 2020-W52",),
    }


def test_monthly_and_yearly_cross_the_year_end() -> None:
    times = [at(2024, 12, 31, 23), at(2025, 1, 1, 0), at(2025, 1, 31, 23)]
    assert kept(Retention(yearly=2), times) == [at(2024, 12, 31, 23), at(2025, 1, 31, 23)]
    assert kept(Retention(monthly=1), times) == [at(2025, 1, 31, 23)]


def test_leap_day_is_a_day_of_its_own() -> None:
    times = [at(2024, 2, 28, 23), at(2024, 2, 29, 1), at(2024, 2, 29, 22), at(2024, 3, 1, 0)]
    assert kept(Retention(daily=3), times) == [times[0], times[2], times[3]]


def test_within_is_calendar_and_inclusive_from_the_newest_point() -> None:
    times = [at(2023, 2, 28), at(2023, 3, 1), at(2024, 2, 29)]
    # 1y before 2024-02-29 is 2023-02-28 (day clamped to the month), kept inclusively.
    assert kept(Retention(within="1y"), times) == times
    assert kept(Retention(within="1d"), [at(2026, 1, 1), at(2026, 1, 2)]) == [
        at(2026, 1, 1), at(2026, 1, 2)]


def test_periods_use_the_time_zone_given() -> None:
    # 23:30 UTC on 1 Jan is 2 Jan in Tokyo: one UTC day, two Tokyo days.
    times = [at(2026, 1, 1, 10), at(2026, 1, 1, 23, 30)]
    assert kept(Retention(daily=5), times) == [times[1]]
    assert kept(Retention(daily=5), times, ZoneInfo("Asia/Tokyo")) == times


def test_min_points_keeps_extra_newest_points() -> None:
    times = hourly_series(at(2026, 1, 1), 6)
    assert kept(Retention(daily=1, min_points=4), times) == times[-4:]


def test_pruned_points_name_the_rules_that_did_not_keep_them() -> None:
    times = hourly_series(at(2026, 1, 1), 3)
    verdicts = apply_retention(Retention(last=1, daily=1), [(t, "k" + str(i)) for i, t in enumerate(times)])
    assert [v.reasons for v in verdicts] == [
        ("last 1", "daily 2026-01-01"), ("last 1", "daily 1"), ("last 1", "daily 1")]


_times = st.lists(
    st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2026, 12, 31),
                 timezones=st.just(UTC)),
    min_size=1, max_size=40, unique=True,
)
_retention = st.builds(
    Retention,
    last=st.none() | st.integers(1, 5),
    daily=st.integers(1, 10),
    weekly=st.none() | st.integers(1, 5),
    yearly=st.none() | st.integers(1, 3),
    min_points=st.integers(1, 8),
)


@settings(max_examples=150, deadline=None)
@given(times=_times, retention=_retention)
def test_the_newest_point_and_the_floor_are_always_kept(times, retention) -> None:
    result = kept(retention, times)
    assert max(times) in result
    assert len(result) >= min(retention.min_points, len(times))


@settings(max_examples=100, deadline=None)
@given(times=_times, retention=_retention)
def test_a_larger_count_never_keeps_fewer_points(times, retention) -> None:
    # Without the min_points floor: extra rule-kept points may lower the points it adds.
    retention = retention.model_copy(update={"min_points": 1})
    more = retention.model_copy(update={"daily": retention.daily + 3})
    assert set(kept(retention, times)) <= set(kept(more, times))


@settings(max_examples=100, deadline=None)
@given(times=_times, retention=_retention)
def test_unexplained_verdicts_keep_the_same_points_for_the_same_rules(times, retention) -> None:
    """Prunes skip formatting periods (explain=False); what they keep must not change."""
    points = [(t, t.isoformat()) for t in times]
    explained = apply_retention(retention, points)
    terse = apply_retention(retention, points, explain=False)
    assert [(v.key, v.kept) for v in terse] == [(v.key, v.kept) for v in explained]
    for full, short in zip(explained, terse, strict=True):
        assert [reason.split()[0] for reason in full.reasons] == [r.split()[0] for r in short.reasons]
