"""The reconciler's own rules, on a real workspace (disk targets, a files workload)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bkctl.archiver.progress import Progress
from bkctl.model.plan import Action, ActionKind, Plan, PrunedPoint, Reason
from bkctl.model.state import PointRecord
from bkctl.reconcile import HANDLERS, ApplyResult, apply_plan
from bkctl.workspace import Workspace

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)

MANIFEST = """\
version: 1
encryption:
  passphrase_env: BKCTL_TEST_PASSPHRASE
targets:
  local:
    type: disk
    path: local
  other:
    type: disk
    path: other
policies:
  daily:
    schedule: {every: 24h}
    retention: {last: 3}
workloads:
  docs:
    type: files
    paths: [data]
    policy: daily
    targets: [local, other]
"""


class QuietReporter:
    """A real Reporter that keeps what it is told."""

    def __init__(self) -> None:
        self.failures: list[tuple[Action, str]] = []

    def started(self, action: Action) -> Progress | None:
        return None

    def finished(self, action: Action, message: str) -> None:
        return None

    def failed(self, action: Action, message: str, hint: str = "") -> None:
        self.failures.append((action, message))


@pytest.fixture
def workspace(write_manifest: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.setenv("BKCTL_TEST_PASSPHRASE", "reconcile test")
    path = write_manifest(MANIFEST)
    (path.parent / "data").mkdir()
    (path.parent / "data" / "a.txt").write_text("alpha\n")
    with Workspace.load(path) as opened:
        for target in ("local", "other"):
            opened.driver(target).init()
        yield opened


def backup(target: str) -> Action:
    return Action(kind=ActionKind.BACKUP, target=target, workload="docs", reason=Reason.SCHEDULE_DUE)


def prune(target: str, point: PointRecord) -> Action:
    return Action(kind=ActionKind.PRUNE, target=target, workload="docs", reason=Reason.RETENTION,
                  points=(PrunedPoint(id=point.id, time=point.time),))


def reclaim(target: str) -> Action:
    return Action(kind=ActionKind.RECLAIM, target=target, reason=Reason.UNREFERENCED_DATA)


def apply(workspace: Workspace, *actions: Action) -> ApplyResult:
    return apply_plan(workspace, Plan(created=NOW, now=NOW, actions=actions), QuietReporter())


def first_points(workspace: Workspace) -> dict[str, PointRecord]:
    assert not apply(workspace, backup("local"), backup("other")).failed
    return {target: workspace.driver(target).points()[0] for target in ("local", "other")}


def test_every_action_kind_has_a_handler() -> None:
    assert set(HANDLERS) == set(ActionKind)


def test_prunes_and_reclaim_on_a_target_are_skipped_after_its_backup_failed(workspace: Workspace) -> None:
    old = first_points(workspace)
    shutil.rmtree(workspace.loaded.resolve_path("workloads", "docs", "data"))
    result = apply(workspace, backup("local"), prune("local", old["local"]), reclaim("local"))
    assert [(o.action.kind, o.ok) for o in result.outcomes] == [
        (ActionKind.BACKUP, False), (ActionKind.PRUNE, False), (ActionKind.RECLAIM, False)]
    assert "does not exist" in result.outcomes[0].message
    assert all(o.message.startswith("skipped: an earlier action on target 'local' failed")
               for o in result.outcomes[1:])
    assert workspace.driver("local").points() == [old["local"]]


def test_a_failed_backup_on_one_target_does_not_stop_prunes_on_another(workspace: Workspace) -> None:
    old = first_points(workspace)
    shutil.rmtree(workspace.loaded.resolve_path("workloads", "docs", "data"))
    result = apply(workspace, backup("local"), prune("other", old["other"]))
    assert [o.ok for o in result.outcomes] == [False, True]
    assert result.outcomes[1].message == "1 recovery point deleted"
    assert workspace.driver("other").points() == []


def test_prunes_run_after_a_backup_that_worked(workspace: Workspace) -> None:
    old = first_points(workspace)
    result = apply(workspace, backup("local"), prune("local", old["local"]), reclaim("local"))
    assert [o.ok for o in result.outcomes] == [True, True, True]
    assert result.outcomes[2].message.startswith("unreferenced data reclaimed: ")
    assert [p.id for p in workspace.driver("local").points()] != [old["local"].id]
    assert len(workspace.driver("local").points()) == 1
