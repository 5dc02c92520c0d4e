"""Plans hold what the target's key role cannot run, with a warning naming who can."""

from __future__ import annotations

from datetime import UTC, datetime

from bkctl.model.plan import Action, ActionKind, PrunedPoint, Reason
from bkctl.model.state import TargetState
from bkctl.planner.roles import hold_for_roles

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def _actions() -> list[Action]:
    pruned = (PrunedPoint(id="a" * 32, time=NOW),)
    return [Action(kind=ActionKind.BACKUP, target="t", workload="w", reason=Reason.SCHEDULE_DUE),
            Action(kind=ActionKind.PRUNE, target="t", workload="w", reason=Reason.RETENTION, points=pruned),
            Action(kind=ActionKind.VERIFY, target="t", reason=Reason.VERIFY_DUE),
            Action(kind=ActionKind.COPY, target="r", source="t", workload="w", reason=Reason.MISSING_COPY)]


def _held(role: str) -> tuple[list[str], list[str]]:
    states = {"t": TargetState(name="t", reachable=True, initialized=True, key_role=role),
              "r": TargetState(name="r", reachable=True, initialized=True)}
    kept, warnings = hold_for_roles(_actions(), states)
    return [a.kind.value for a in kept], [w.message for w in warnings]


def test_an_owner_key_runs_everything() -> None:
    assert _held("owner") == (["backup", "prune", "verify", "copy"], [])


def test_a_writer_key_backs_up_only() -> None:
    kept, warnings = _held("writer")
    assert kept == ["backup"]
    assert any("1 prune action (1 recovery point) held" in w and "owner or manager key" in w for w in warnings)
    assert any("copy" in w and "an owner key" in w for w in warnings)


def test_a_manager_key_maintains_but_never_backs_up() -> None:
    kept, warnings = _held("manager")
    assert kept == ["prune", "verify"]
    assert any("1 backup action held" in w and "owner or writer key" in w for w in warnings)
