"""Workload hooks take one shape, checked at load time, and pass_env names real variables."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bkctl.model import CommandWorkload, Hooks


def hooks(**phases: object) -> Hooks:
    return Hooks.model_validate(phases)


def message_of(**phases: object) -> str:
    with pytest.raises(ValidationError) as caught:
        hooks(**phases)
    return str(caught.value)


def test_a_phase_holds_argv_lists_and_shell_strings_in_order():
    parsed = hooks(before=[["pg_ctl", "stop", "-m", "fast"], "sync && sleep 1"], after=["echo done"])
    assert parsed.before == [["pg_ctl", "stop", "-m", "fast"], "sync && sleep 1"]
    assert parsed.after == ["echo done"]


def test_phases_default_to_no_commands():
    assert hooks().before == [] and hooks().after == []


def test_the_old_single_argv_with_an_option_is_refused_with_the_nested_list_suggested():
    text = message_of(before=["pg_ctl", "stop", "-m", "fast"])
    assert "before command 3 ('-m') starts with '-'" in text
    assert "did you mean one argv list: [[pg_ctl, stop, -m, fast]]?" in text


def test_the_suggestion_quotes_words_that_yaml_would_misread():
    text = message_of(after=["sh", "-c", "echo a: b"])
    assert 'did you mean one argv list: [[sh, -c, "echo a: b"]]?' in text


def test_an_option_beside_argv_lists_is_pointed_at_its_program():
    text = message_of(before=[["pg_ctl", "stop"], "-m"])
    assert "before command 2 ('-m') starts with '-'" in text and "inside the argv list" in text


@pytest.mark.parametrize(("phase", "expected"), [
    ([""], "before command 1 is an empty string"),
    (["   "], "before command 1 is an empty string"),
    ([[]], "before command 1 is an empty argv list"),
    ([["pg_ctl", 5]], "before command 1: every argv item must be a string, not 5"),
    ([["", "x"]], "before command 1: the program name (first argv item) is empty"),
    ([{"run": "x"}], "before command 1 must be an argv list or a shell string"),
    ("sync", "'before' must be a list of commands"),
    (None, "'before' must be a list of commands"),
], ids=["empty-string", "blank-string", "empty-argv", "number-in-argv", "empty-program", "mapping",
        "bare-string", "null"])
def test_malformed_commands_are_named_at_load_time(phase: object, expected: str):
    assert expected in message_of(before=phase)


def test_every_problem_of_a_phase_is_reported_at_once():
    text = message_of(after=[[], "", "ok"])
    assert "after command 1 is an empty argv list" in text and "after command 2 is an empty string" in text


def test_pass_env_takes_variable_names_only():
    base = {"type": "command", "command": ["env"], "policy": "p", "targets": ["t"]}
    assert CommandWorkload.model_validate({**base, "pass_env": ["AWS_SECRET_ACCESS_KEY"]}).pass_env == [
        "AWS_SECRET_ACCESS_KEY"]
    with pytest.raises(ValidationError, match="not an environment variable name: '1X', 'A-B'"):
        CommandWorkload.model_validate({**base, "pass_env": ["OK", "1X", "A-B"]})
