"""TargetState.points_of: one workload's points of one host, grouped once per target."""

from datetime import UTC, datetime, timedelta

from bkctl.model.state import PointRecord, TargetState

START = datetime(2026, 11, 24, tzinfo=UTC)


def point(index: int, workload: str, host: str = "web-01") -> PointRecord:
    return PointRecord(id=f"p{index:02d}", workload=workload, host=host, time=START - timedelta(hours=index))


def target(*points: PointRecord) -> TargetState:
    return TargetState(name="local", reachable=True, initialized=True, points=points)


def test_points_of_keeps_the_order_the_target_listed_them_in() -> None:
    held = target(point(3, "etc"), point(1, "www"), point(0, "etc"), point(2, "etc", host="db-01"))
    assert [p.id for p in held.points_of("etc", "web-01")] == ["p03", "p00"]
    assert [p.id for p in held.points_of("etc", "db-01")] == ["p02"]
    assert held.points_of("mail", "web-01") == ()


def test_a_copy_with_other_points_does_not_answer_from_the_original_grouping() -> None:
    held = target(point(0, "etc"))
    assert len(held.points_of("etc", "web-01")) == 1
    moved = held.model_copy(update={"points": (point(0, "etc"), point(1, "etc"))})
    assert [p.id for p in moved.points_of("etc", "web-01")] == ["p00", "p01"]


def test_the_grouping_is_not_part_of_the_state() -> None:
    asked, fresh = target(point(0, "etc")), target(point(0, "etc"))
    asked.points_of("etc", "web-01")
    assert asked == fresh
    assert asked.model_dump() == fresh.model_dump()
    assert asked.model_dump_json() == fresh.model_dump_json()
