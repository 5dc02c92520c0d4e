from datetime import UTC, datetime, timedelta

import pytest

from bkctl.model.units import Duration, format_size, parse_duration, parse_size


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15min", timedelta(minutes=15)),
        ("90min", timedelta(minutes=90)),
        ("1h30min", timedelta(hours=1, minutes=30)),
        ("8h", timedelta(hours=8)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("30s", timedelta(seconds=30)),
    ],
)
def test_fixed_durations_parse_to_their_span(text, expected):
    assert parse_duration(text).fixed() == expected


def test_years_and_months_are_calendar_parts():
    assert parse_duration("99y") == Duration(years=99)
    assert parse_duration("6mo") == Duration(months=6)
    assert parse_duration("5mo") == Duration(months=5)
    assert str(parse_duration("1y6mo")) == "1y6mo"


def test_minutes_are_written_back_as_min_so_a_saved_duration_reads_the_same():
    assert str(parse_duration("1h30min")) == "1h30min"
    assert parse_duration(str(parse_duration("2d5min"))) == Duration(days=2, minutes=5)


@pytest.mark.parametrize(
    ("bare", "minutes", "months"),
    [("6m", "6min", "6mo"), ("6M", "6min", "6mo"), ("15m", "15min", "15mo"), ("1y6m", "1y6min", "1y6mo")],
)
def test_a_bare_m_is_ambiguous_and_the_error_names_both_readings(bare, minutes, months):
    with pytest.raises(ValueError, match="ambiguous") as caught:
        parse_duration(bare)
    assert f"'{minutes}' for minutes" in str(caught.value) and f"'{months}' for months" in str(caught.value)


@pytest.mark.parametrize("huge", ["1001y", "99999999999999999y", "9" * 5000 + "h", "1000y1d"])
def test_durations_past_a_thousand_years_are_rejected_not_overflowed(huge):
    with pytest.raises(ValueError, match="longer than 1000 years"):
        parse_duration(huge)


def test_a_thousand_years_is_still_a_duration():
    assert parse_duration("1000y") == Duration(years=1000)


def test_a_calendar_year_before_a_leap_day_lands_on_february_28():
    leap = datetime(2024, 2, 29, 12, tzinfo=UTC)
    assert parse_duration("1y").before(leap) == datetime(2023, 2, 28, 12, tzinfo=UTC)


def test_months_before_march_31_clamp_to_the_end_of_february():
    moment = datetime(2023, 3, 31, tzinfo=UTC)
    assert parse_duration("1mo").before(moment) == datetime(2023, 2, 28, tzinfo=UTC)


@pytest.mark.parametrize(
    "bad", ["", "8", "h", "8x", "0h", "0s", "0min", "-1d", "1.5h", "eight hours", "8 hours", "6mi", "5mins", "min"]
)
def test_bad_durations_are_rejected_with_the_accepted_forms(bad):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("512MiB", 512 * 2**20), ("1.5TB", 1_500_000_000_000), ("800GB", 800 * 10**9), ("4096", 4096), (10, 10),
     ("1KiB", 1024), ("2 GiB", 2 * 2**30)],
)
def test_sizes_parse_with_decimal_and_binary_units(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("bad", ["", "12XB", "-5", "MiB", True, 1.5, "1,5GB", "9" * 400 + "EB", "9EiB", 2**64])
def test_bad_sizes_are_rejected(bad):
    with pytest.raises(ValueError):
        parse_size(bad)


def test_format_size_uses_binary_units():
    assert format_size(1536) == "1.5 KiB"
    assert format_size(12) == "12 B"


def test_format_size_never_rounds_up_to_1024_of_a_unit():
    assert format_size((1 << 20) - 40) == "1.0 MiB"
    assert format_size(1023.96 * 1024) == "1.0 MiB"
    assert format_size(1023.94 * 1024) == "1023.9 KiB"
