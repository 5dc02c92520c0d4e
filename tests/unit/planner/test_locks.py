"""Object lock in the plan: locked points are never pruned, and points kept past their lock get extend-lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bkctl.model.manifest import Manifest
from bkctl.model.plan import Action, ActionKind, PrunedPoint, Reason, WarningKind
from bkctl.model.policy import Retention
from bkctl.model.state import ActualState, PointRecord, TargetState
from bkctl.model.state_times import end_of_utc_day
from bkctl.planner import make_plan
from bkctl.planner.locks import LockJob, hold_locked_prunes, plan_extend_lock, retained_until

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def point(index: int, age: timedelta) -> PointRecord:
    return PointRecord(id=f"{index:032x}", workload="docs", host="h", time=NOW - age)


def prune(*points: PointRecord) -> Action:
    return Action(kind=ActionKind.PRUNE, target="vault", workload="docs", reason=Reason.RETENTION,
                  detail=f"{len(points)} of 9 recovery points kept by no retention rule",
                  points=tuple(PrunedPoint(id=p.id, time=p.time, rules_not_keeping=("last 1",)) for p in points))


def test_a_point_whose_lock_has_not_ended_is_taken_out_of_the_prune_and_named_with_its_date() -> None:
    old, older = point(1, 3 * DAY), point(2, 4 * DAY)
    action, warning = hold_locked_prunes(prune(old, older), {old.id: NOW + 2 * DAY, older.id: NOW - DAY}, NOW)
    assert action is not None and [p.id for p in action.points] == [older.id]
    assert warning is not None and warning.kind == WarningKind.KEPT_BY_LOCK
    assert f"{old.id[:8]} kept by lock until 2026-11-26" in warning.message
    assert "1 of them kept by object lock, 1 deleted" in action.detail


def test_a_prune_of_only_locked_points_disappears_so_apply_deletes_nothing() -> None:
    old = point(1, 3 * DAY)
    action, warning = hold_locked_prunes(prune(old), {old.id: NOW + DAY}, NOW)
    assert action is None and warning is not None


def test_points_without_a_lock_or_with_a_lapsed_one_are_pruned_as_usual() -> None:
    old = point(1, 3 * DAY)
    action, warning = hold_locked_prunes(prune(old), {old.id: NOW}, NOW)
    assert action == prune(old) and warning is None


def job(points: list[PointRecord], locks: dict[str, datetime], retention: Retention,
        interval: timedelta = DAY) -> LockJob:
    return LockJob(workload="docs", target="vault", retention=retention, zone=UTC, interval=interval,
                   points=points, locks=locks, now=NOW)


def test_a_point_retention_keeps_past_its_lock_gets_extend_lock_to_the_end_of_its_retention() -> None:
    points = [point(i, i * DAY + timedelta(hours=1)) for i in range(3)]
    locks = {p.id: NOW + DAY for p in points}
    action = plan_extend_lock(job(points, locks, Retention(within="10d")))
    assert action is not None and action.kind == ActionKind.EXTEND_LOCK and action.reason == Reason.LOCK_ENDS_FIRST
    oldest = next(p for p in action.points if p.id == points[2].id)
    assert oldest.retained_until == points[2].time + timedelta(days=10)
    assert oldest.lock_ends == NOW + DAY and oldest.lock_until == end_of_utc_day(points[2].time + timedelta(days=10))
    assert "retention keeps" in action.detail and "but its lock ends 2026-11-25" in action.detail


def test_extend_lock_is_planned_once_the_locks_reach_the_dates_it_asked_for() -> None:
    points = [point(i, i * DAY + timedelta(hours=1)) for i in range(3)]
    first = plan_extend_lock(job(points, {p.id: NOW + DAY for p in points}, Retention(within="10d")))
    assert first is not None
    extended = {p.id: p.lock_until for p in first.points if p.lock_until is not None}
    assert plan_extend_lock(job(points, extended, Retention(within="10d"))) is None


def test_locks_that_outlast_retention_need_nothing_and_unlocked_kept_points_get_one() -> None:
    points = [point(i, i * DAY + timedelta(hours=1)) for i in range(3)]
    assert plan_extend_lock(job(points, {p.id: NOW + 30 * DAY for p in points}, Retention(last=3))) is None
    action = plan_extend_lock(job(points, {}, Retention(last=3)))
    assert action is not None and {p.id for p in action.points} == {p.id for p in points}
    assert all(p.lock_ends is None for p in action.points)
    assert "it has no lock" in action.detail


def test_points_retention_prunes_get_no_extension() -> None:
    points = [point(i, i * DAY + timedelta(hours=1)) for i in range(3)]
    action = plan_extend_lock(job(points, {}, Retention(last=1)))
    assert action is not None and [p.id for p in action.points] == [points[0].id]


@pytest.mark.parametrize(("retention", "index", "expected"), [
    # the next backup is due at newest + 1 day = NOW + 23 h; 'last 3' lets the third-newest go with the next one
    (Retention(last=3), 2, NOW + timedelta(hours=23)),
    (Retention(last=3), 0, NOW + timedelta(hours=23) + 2 * DAY),
    (Retention(within="10d"), 1, NOW - DAY - timedelta(hours=1) + 10 * DAY),
    # daily 5 keeps the newest of 5 days: the oldest kept day goes when the 5th day gets its point
    (Retention(daily=5), 2, datetime(2026, 11, 27, 11, tzinfo=UTC)),
])
def test_retained_until_estimates_when_retention_lets_a_point_go(retention: Retention, index: int,
                                                                    expected: datetime) -> None:
    times = [NOW - timedelta(hours=1) - i * DAY for i in range(3)]
    assert retained_until(retention, UTC, DAY, times, index, NOW) == expected


def test_the_newest_point_of_an_open_period_is_kept_by_its_bucket_rule_only_until_the_next_backup() -> None:
    # Daily backups and 'monthly 12': today's point stands for November only until tomorrow's
    # point replaces it, so its lock must not be extended for twelve months.
    times = [NOW - timedelta(hours=1), NOW - timedelta(hours=1) - DAY]
    assert retained_until(Retention(monthly=12), UTC, DAY, times, 0, NOW) == NOW + timedelta(hours=23)
    # The last point of October is the month's point for good: about twelve months.
    october = [NOW - timedelta(hours=1), datetime(2026, 10, 31, 12, tzinfo=UTC)]
    assert retained_until(Retention(monthly=12), UTC, DAY, october, 1, NOW) == datetime(2027, 10, 1, tzinfo=UTC)


def test_the_estimate_does_not_move_while_backups_run_on_schedule() -> None:
    times = [NOW - timedelta(hours=1) - i * DAY for i in range(4)]
    before = retained_until(Retention(daily=7, last=3), UTC, DAY, times, 2, NOW)
    after = retained_until(Retention(daily=7, last=3), UTC, DAY, [times[0] + DAY, *times], 3, NOW + DAY)
    assert before == after


def manifest(immutable: bool = True) -> Manifest:
    vault: dict[str, object] = {"type": "vault", "provider": "s3", "container": "bucket", "key_env": "K",
                                "secret_env": "S"}
    if immutable:
        vault["immutable"] = {"days": 7}
    return Manifest.model_validate({
        "version": 1, "protection": "2-1-1-1",
        "targets": {"vault": vault},
        "policies": {"p": {"schedule": {"every": "1d"}, "retention": {"last": 2}}},
        "workloads": {"docs": {"type": "files", "paths": ["/d"], "policy": "p", "targets": ["vault"]}},
    })


def state(points: list[PointRecord], locks: dict[str, datetime]) -> ActualState:
    immutable = tuple(p for p, until in locks.items() if until > NOW)
    vault = TargetState(name="vault", reachable=True, initialized=True, points=tuple(points), object_locks=locks,
                        immutable_points=immutable, last_verified=NOW)
    return ActualState(host="h", targets={"vault": vault})


def test_make_plan_never_prunes_a_locked_point_and_says_until_when() -> None:
    points = [point(i, i * timedelta(hours=6) + timedelta(hours=1)) for i in range(4)]
    locks = {p.id: NOW + 5 * DAY for p in points}
    plan = make_plan(manifest(), state(points, locks), NOW)
    assert not [a for a in plan.actions if a.kind in (ActionKind.PRUNE, ActionKind.RECLAIM)]
    held = [w for w in plan.warnings if w.kind == WarningKind.KEPT_BY_LOCK]
    assert len(held) == 1 and "kept by lock until 2026-11-29" in held[0].message
    assert "No changes." in plan.summary()


def test_make_plan_prunes_once_the_lock_has_ended() -> None:
    points = [point(i, i * timedelta(hours=6) + timedelta(hours=1)) for i in range(4)]
    locks = {p.id: NOW + 5 * DAY for p in points}
    later = make_plan(manifest(), state(points, locks), NOW + 6 * DAY)
    pruned = [p.id for a in later.actions if a.kind == ActionKind.PRUNE for p in a.points]
    assert sorted(pruned) == sorted(p.id for p in points[2:])


def test_make_plan_extends_the_locks_of_kept_points_that_end_first() -> None:
    points = [point(i, i * timedelta(hours=6) + timedelta(hours=1)) for i in range(2)]
    plan = make_plan(manifest(), state(points, {p.id: NOW + timedelta(hours=2) for p in points}), NOW)
    extended = [a for a in plan.actions if a.kind == ActionKind.EXTEND_LOCK]
    assert len(extended) == 1 and extended[0].target == "vault"
    assert "1 lock to extend" in plan.summary() or "2 locks to extend" in plan.summary()


def test_a_vault_without_immutable_gets_no_extend_lock() -> None:
    points = [point(i, i * timedelta(hours=6) + timedelta(hours=1)) for i in range(2)]
    plan = make_plan(manifest(immutable=False), state(points, {}), NOW)
    assert not [a for a in plan.actions if a.kind == ActionKind.EXTEND_LOCK]


def test_locked_points_count_as_immutable_copies_until_their_lock_lapses() -> None:
    points = [point(0, timedelta(hours=1))]
    locked = state(points, {points[0].id: NOW + DAY})
    assert not [w for w in make_plan(manifest(), locked, NOW).warnings if w.kind == WarningKind.PROTECTION]
    lapsed = [w for w in make_plan(manifest(), locked, NOW + 2 * DAY).warnings if w.kind == WarningKind.PROTECTION]
    assert lapsed and "immutable or offline" in lapsed[0].message
