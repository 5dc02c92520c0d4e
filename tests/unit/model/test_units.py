from datetime import UTC, datetime, timedelta

import pytest

from bkctl.model.units import Duration, format_size, parse_duration, parse_size


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", timedelta(minutes=15)),
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
    assert str(parse_duration("1y6mo")) == "1y6mo"


def test_a_calendar_year_before_a_leap_day_lands_on_february_28():
    leap = datetime(2024, 2, 29, 12, tzinfo=UTC)
    assert parse_duration("1y").before(leap) == datetime(2023, 2, 28, 12, tzinfo=UTC)


def test_months_before_march_31_clamp_to_the_end_of_february():
    moment = datetime(2023, 3, 31, tzinfo=UTC)
    assert parse_duration("1mo").before(moment) == datetime(2023, 2, 28, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["", "8", "h", "8x", "0h", "-1d", "1.5h", "eight hours", "8 hours"])
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


@pytest.mark.parametrize("bad", ["", "12XB", "-5", "MiB", True, 1.5, "1,5GB"])
def test_bad_sizes_are_rejected(bad):
    with pytest.raises(ValueError):
        parse_size(bad)


def test_format_size_uses_binary_units():
    assert format_size(1536) == "1.5 KiB"
    assert format_size(12) == "12 B"
