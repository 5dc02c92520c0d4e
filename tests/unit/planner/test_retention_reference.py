"""The fast retention pass gives exactly the verdicts of the plain one it replaced.

``reference`` below is the first implementation, kept verbatim in spirit: every rule looks
at every point and formats its period with strftime. The planner's version compares
integer period numbers and stops once a rule's count is reached (issue 13); both must
agree on which points are kept and on every reason, in any time zone, including ties,
DST changes and ISO weeks that straddle a year.
"""

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bkctl.model.policy import Retention
from bkctl.model.units import parse_duration
from bkctl.planner.retention import BUCKET_RULES, Verdict, apply_retention, rule_names


def reference(retention: Retention, points: list[tuple[datetime, str]], zone: tzinfo) -> list[Verdict]:
    ordered = sorted(points, key=lambda p: (p[0], p[1]), reverse=True)
    times = [moment for moment, _ in ordered]
    reasons: list[list[str]] = [[] for _ in times]
    if retention.last is not None:
        for index in range(min(retention.last, len(times))):
            reasons[index].append(f"last {retention.last}")
    if retention.within is not None and times:
        start = retention.within.before(times[0])
        for index, moment in enumerate(times):
            if moment >= start:
                reasons[index].append(f"within {retention.within}")
    for rule, period_of in BUCKET_RULES:
        count = getattr(retention, rule)
        seen: set[str] = set()
        for index, moment in enumerate(times):
            period = period_of(moment.astimezone(zone))
            if count is not None and period not in seen and len(seen) < count:
                seen.add(period)
                reasons[index].append(f"{rule} {period}")
    if reasons and not reasons[0]:
        reasons[0].append("newest")
    kept = sum(1 for r in reasons if r)
    for index in range(len(reasons)):
        if kept >= retention.min_points:
            break
        if not reasons[index]:
            reasons[index].append(f"min_points {retention.min_points}")
            kept += 1
    return [Verdict(moment, key, bool(why), tuple(why) if why else rule_names(retention))
            for (moment, key), why in zip(ordered, reasons, strict=True)]


_START = datetime(2019, 12, 20, tzinfo=UTC)
# Gaps from minutes to months, so that hours, days, ISO weeks, months and years all repeat and skip.
_gaps = st.lists(st.sampled_from([0, 7, 15, 59, 60, 61, 600, 1440, 2880, 10080, 44640, 200000]) | st.integers(0, 90000),
                 min_size=1, max_size=120)
_counts = st.none() | st.integers(1, 12)
_retention = st.builds(
    lambda last, within, hourly, daily, weekly, monthly, yearly, floor: Retention(
        last=last, within=within, hourly=hourly, daily=daily, weekly=weekly, monthly=monthly,
        # a retention needs one rule at least: yearly 1 when the others drew none
        yearly=1 if yearly is None and {last, within, hourly, daily, weekly, monthly} == {None} else yearly,
        min_points=floor),
    last=_counts, within=st.none() | st.sampled_from(["90min", "1d", "7d", "1mo", "1y"]).map(parse_duration),
    hourly=_counts, daily=_counts, weekly=_counts, monthly=_counts, yearly=st.none() | st.integers(1, 5),
    floor=st.integers(1, 10),
)
_zones = st.sampled_from([UTC, ZoneInfo("Europe/Paris"), ZoneInfo("America/St_Johns"), ZoneInfo("Pacific/Chatham"),
                          ZoneInfo("Australia/Lord_Howe")])


@settings(max_examples=300, deadline=None)
@given(gaps=_gaps, retention=_retention, zone=_zones, duplicate=st.booleans())
def test_the_planner_keeps_what_the_plain_pass_keeps_for_the_same_reasons(
        gaps: list[int], retention: Retention, zone: tzinfo, duplicate: bool) -> None:
    times, moment = [], _START
    for gap in gaps:
        moment += timedelta(minutes=gap)
        times.append(moment)
    points = [(t, f"p{index:04d}") for index, t in enumerate(times)]
    if duplicate:  # two points at one instant: the key breaks the tie
        points.append((times[-1], "p9999"))
    assert apply_retention(retention, points, zone) == reference(retention, points, zone)


def test_a_rule_stops_counting_at_its_count_even_across_a_long_history() -> None:
    points = [(_START + timedelta(minutes=15 * i), f"p{i:06d}") for i in range(5000)]
    retention = Retention(hourly=24, daily=31, weekly=52, monthly=120, yearly=99)
    assert apply_retention(retention, points, ZoneInfo("Europe/Paris")) == reference(
        retention, points, ZoneInfo("Europe/Paris"))
