"""Apply's outcomes keep each failure's exit code and hint; a failed init stops its target."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bkctl import operations
from bkctl.model.plan import Action
from bkctl.reconcile import apply_plan
from bkctl.workspace import Workspace

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)

HEAD = """\
version: 1
encryption: {passphrase_env: BKCTL_PASSPHRASE}
targets:
  local: {type: disk, path: %s}
policies:
  hourly: {schedule: {every: 1h}, retention: {last: 3}}
workloads:
"""
FILES = "  docs: {type: files, paths: [data], policy: hourly, targets: [local]}\n"
GONE = "  gone: {type: files, paths: [nowhere], policy: hourly, targets: [local]}\n"
POSTGRES = "  db: {type: postgres, server: 127.0.0.1, database: test, policy: hourly, targets: [local]}\n"


class Recorder:
    def __init__(self) -> None:
        self.failures: list[tuple[str, str, str]] = []

    def started(self, action: Action) -> None:
        return None

    def finished(self, action: Action, message: str) -> None:
        return None

    def failed(self, action: Action, message: str, hint: str = "") -> None:
        self.failures.append((f"{action.kind} {action.workload or action.target}", message, hint))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("alpha")
    monkeypatch.setenv("BKCTL_PASSPHRASE", "unit test passphrase")
    monkeypatch.setenv("BKCTL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))  # no pg_dump
    return tmp_path


def apply(project: Path, workloads: str, repository: str = "repo") -> tuple[int, Recorder]:
    (project / "bkctl.yaml").write_text(HEAD % repository + workloads)
    recorder = Recorder()
    with Workspace.load(project / "bkctl.yaml") as workspace:
        result = apply_plan(workspace, operations.plan(workspace, NOW), recorder)
    return result.exit_code, recorder


def test_a_failure_exits_with_its_own_code_and_keeps_its_hint_apart(project: Path) -> None:
    code, recorder = apply(project, FILES + POSTGRES)
    assert code == 70
    [(action, message, hint)] = recorder.failures
    assert action == "backup db" and "pg_dump is not installed" in message and "hint" not in message
    assert hint.startswith("install ")


def test_failures_with_different_codes_exit_1(project: Path) -> None:
    code, recorder = apply(project, GONE + POSTGRES)
    assert code == 1 and len(recorder.failures) == 2


def test_a_failed_init_skips_the_rest_of_its_target_with_the_same_code(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BKCTL_PASSPHRASE")  # the repository cannot be created without it
    code, recorder = apply(project, FILES)
    assert [action for action, _, _ in recorder.failures] == ["init-target local", "backup docs"]
    assert recorder.failures[1][1:] == ("skipped: initialising target 'local' failed", "")
    assert code == 65  # the init's own code: the skip neither hides nor mixes it
