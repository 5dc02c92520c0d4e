"""bkctl policy simulate: a generated history through the planner's retention."""

from datetime import UTC, datetime, timedelta

from bkctl.model.policy import Policy
from bkctl.model.units import parse_duration
from bkctl.planner import generate_points, simulate_policy


def test_a_year_of_daily_points_under_daily_7_weekly_4_monthly_12() -> None:
    start = datetime(2024, 1, 1, 2, tzinfo=UTC)
    points = generate_points(start, parse_duration("1d"), timedelta(days=365))
    assert len(points) == 366 and points[-1] == datetime(2024, 12, 31, 2, tzinfo=UTC)
    policy = Policy.model_validate({"schedule": {"every": "1d"},
                                    "retention": {"daily": 7, "weekly": 4, "monthly": 12}})
    result = simulate_policy(policy, points)
    assert result[0] == (points[-1], True, ("daily 2024-12-31", "weekly 2025-W01", "monthly 2024-12"))
    # 7 days (covering weeks 2025-W01 and 2024-W52), 2 more Sundays, 11 more month ends.
    assert sum(kept for _, kept, _ in result) == 7 + 2 + 11
