"""Hook phases: argv lists and shell strings in order, before stops, after always runs them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from bkctl.errors import BkctlError, ToolMissingError
from bkctl.model import Hooks
from bkctl.sources.environment import ChildEnvironment
from bkctl.sources.hooks import HookFailedError, hook_problems, hooks_around

NO_SECRETS = ChildEnvironment(frozenset({"VAULT_SECRET"}))


def make(**phases: object) -> Hooks:
    return Hooks.model_validate(phases)


def run(hooks: Hooks, body=lambda: None) -> None:
    with hooks_around(hooks, workload="w", target="t", environment=NO_SECRETS):
        body()


def test_argv_lists_run_directly_and_strings_through_the_shell_in_order(tmp_path: Path):
    log = tmp_path / "log"
    run(make(before=[["sh", "-c", f"echo one >> {log}"], f"echo two >> {log} && echo $BKCTL_HOOK >> {log}"],
             after=[f"echo $BKCTL_STATUS >> {log}"]))
    assert log.read_text().split() == ["one", "two", "before", "success"]


def test_a_string_is_not_split_into_words_by_bkctl(tmp_path: Path):
    # As an argv list, 'echo a  b' would look for a program named "echo a  b".
    log = tmp_path / "log"
    run(make(before=[f"printf '%s|' a 'b c' > {log}"]))
    assert log.read_text() == "a|b c|"


def test_before_stops_at_the_first_failure_and_skips_the_body(tmp_path: Path):
    ran = []
    with pytest.raises(HookFailedError, match="before hook 'exit 3' exited with status 3"):
        run(make(before=["exit 3", f"touch {tmp_path / 'second'}"]), lambda: ran.append("body"))
    assert ran == [] and not (tmp_path / "second").exists()


def test_after_runs_every_command_and_reports_all_failures(tmp_path: Path):
    with pytest.raises(HookFailedError) as caught:
        run(make(after=["echo oops >&2; exit 1", ["false"], f"touch {tmp_path / 'third'}"]))
    assert (tmp_path / "third").exists()
    text = str(caught.value)
    assert text.startswith("the backup finished, but")
    assert "exited with status 1: oops" in text and "hook 'false' exited with status 1" in text


def test_after_sees_the_failure_and_both_errors_are_named_with_the_body_exit_code(tmp_path: Path):
    log = tmp_path / "log"

    def body() -> None:
        raise ToolMissingError("pg_dump is not installed")

    with pytest.raises(HookFailedError) as caught:
        run(make(after=[f"echo $BKCTL_STATUS > {log}; exit 2"]), body)
    assert log.read_text() == "failure\n"
    assert "pg_dump is not installed" in str(caught.value) and "exited with status 2" in str(caught.value)
    assert caught.value.exit_code == ToolMissingError.exit_code


def test_a_failed_body_with_working_after_hooks_keeps_its_own_error(tmp_path: Path):
    def body() -> None:
        raise BkctlError("disk full")

    with pytest.raises(BkctlError, match="disk full") as caught:
        run(make(after=["true"]), body)
    assert not isinstance(caught.value, HookFailedError)


def test_hooks_see_their_variables_and_no_secret(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("BKCTL_PASSPHRASE", "pass-value")
    monkeypatch.setenv("VAULT_SECRET", "vault-value")
    monkeypatch.setenv("HARMLESS", "kept")
    dump = tmp_path / "env"
    run(make(before=[f"env > {dump}"]))
    seen = dict(line.split("=", 1) for line in dump.read_text().splitlines() if "=" in line)
    assert seen["BKCTL_WORKLOAD"] == "w" and seen["BKCTL_TARGET"] == "t" and seen["HARMLESS"] == "kept"
    assert "pass-value" not in dump.read_text() and "vault-value" not in dump.read_text()


def test_a_hook_that_runs_too_long_is_stopped():
    with pytest.raises(HookFailedError, match="timed out after 1 s"):
        run(make(before=[["sleep", "5"]], timeout="1s"))


def test_a_missing_program_fails_the_phase_with_its_name():
    with pytest.raises(HookFailedError, match="no-such-program-xyz is not installed or not on PATH"):
        run(make(before=[["no-such-program-xyz"]]))


def test_problems_name_programs_that_would_not_start(tmp_path: Path):
    script = tmp_path / "stop.sh"
    script.write_text("#!/bin/sh\n")
    hooks = make(before=[["no-such-program-xyz", "stop"], ["sync"], "no-such-program-xyz && true"],
                 after=[[str(script)], [str(tmp_path / "gone.sh")]])
    assert hook_problems(hooks, environment=NO_SECRETS) == [
        "before hook 'no-such-program-xyz': no-such-program-xyz is not installed or not on PATH",
        f"after hook '{script}': {script} is not executable",
        f"after hook '{tmp_path / 'gone.sh'}': {tmp_path / 'gone.sh'} does not exist",
    ]


def test_problems_look_on_the_path_the_hooks_will_get(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert hook_problems(make(before=[["sync"]]), environment=NO_SECRETS) == [
        "before hook 'sync': sync is not installed or not on PATH"]
    assert hook_problems(None, environment=NO_SECRETS) == []
