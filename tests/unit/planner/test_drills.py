"""Drills in the plan: due per workload from the run records, on the first target holding a point."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bkctl.model.manifest import Manifest
from bkctl.model.runs import DrillResult, RunRecord, RunStep
from bkctl.model.state import ActualState, PointRecord, TargetState, fingerprint_points
from bkctl.planner import make_plan

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def manifest(rto: str = "1h", pick: str = "latest") -> Manifest:
    return Manifest.model_validate({
        "version": 1,
        "targets": {"local": {"type": "disk", "path": "/r"}, "other": {"type": "disk", "path": "/o"}},
        "policies": {"p": {"schedule": {"every": "1d"}, "retention": {"last": 9},
                           "drill": {"every": "30d", "rto": rto, "pick": pick}}},
        "workloads": {"docs": {"type": "files", "paths": ["/d"], "policy": "p", "targets": ["other", "local"]}},
    })


def point(number: int) -> PointRecord:
    return PointRecord(id=f"p{number}".ljust(32, "0"), workload="docs", host="h",
                       time=NOW - timedelta(hours=20 - number))


def drill_run(days_ago: int, seconds: float, ok: bool = True) -> RunRecord:
    result = DrillResult(point=point(0).id, point_time=point(0).time, seconds=seconds, ok=ok,
                         checks=("files differ",) if not ok else ())
    return RunRecord(id=f"r{days_ago}", time=NOW - timedelta(days=days_ago), host="h", target="local", seconds=seconds,
                     steps=(RunStep(kind="drill", workload="docs", ok=ok, drill=result),))


def state(*runs: RunRecord, local_points: int = 3) -> ActualState:
    points = tuple(point(n) for n in range(local_points))
    return ActualState(host="h", targets={
        "local": TargetState(name="local", reachable=True, initialized=True, points=points,
                             fingerprint=fingerprint_points(points), runs=runs),
        "other": TargetState(name="other", reachable=True, initialized=True)})


def drills(plan_manifest: Manifest, observed: ActualState):
    return [a for a in make_plan(plan_manifest, observed, NOW).actions if a.kind == "drill"]


def test_a_never_drilled_workload_is_drilled_on_the_first_target_that_holds_a_point() -> None:
    [action] = drills(manifest(), state())
    assert (action.target, action.reason, action.points[0].id) == ("local", "drill-due", point(2).id)
    assert "never drilled" in action.detail


def test_a_recent_drill_in_the_run_records_makes_none_due_and_an_old_one_does() -> None:
    assert drills(manifest(), state(drill_run(29, 10.0))) == []
    assert len(drills(manifest(), state(drill_run(31, 10.0)))) == 1


def test_random_pick_is_reproducible_for_the_same_plan_time() -> None:
    chosen = {drills(manifest(pick="random"), state(local_points=9))[0].points[0].id for _ in range(3)}
    assert len(chosen) == 1


def test_a_slow_or_failed_drill_is_a_warning() -> None:
    slow = make_plan(manifest(rto="5min"), state(drill_run(2, 400.0)), NOW).warnings
    assert [w.kind for w in slow] == ["drill-rto-breach"]
    assert "took 400.0s, more than the recovery time objective 5min" in slow[0].message
    failed = make_plan(manifest(), state(drill_run(2, 4.0, ok=False)), NOW).warnings
    assert [w.kind for w in failed] == ["drill-failed"] and "files differ" in failed[0].message


def test_no_point_anywhere_means_no_drill() -> None:
    assert drills(manifest(), state(local_points=0)) == []
