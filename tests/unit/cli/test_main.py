"""The command line's shared grammar: -h everywhere, global flags anywhere, completion."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from bkctl.cli.main import app, hoist_global_flags, run


def _command_paths() -> list[list[str]]:
    """Every command and group of bkctl, as the words that name it (``["keys", "list"]``)."""
    found: list[list[str]] = []

    def visit(command: object, words: list[str]) -> None:
        found.append(words)
        for name, child in sorted(getattr(command, "commands", {}).items()):
            visit(child, [*words, name])

    visit(typer.main.get_command(app), [])
    return found


@pytest.mark.parametrize("words", _command_paths(), ids=lambda words: " ".join(words) or "bkctl")
def test_every_command_and_group_takes_dash_h_as_help(words: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run([*words, "-h"]) == 0
    short = capsys.readouterr().out
    assert run([*words, "--help"]) == 0
    assert short == capsys.readouterr().out and "Usage:" in short and "-h, --help" in short


def test_the_command_tree_covers_the_commands_and_groups() -> None:
    names = {" ".join(words) for words in _command_paths()}
    assert {"apply", "backup", "restore", "keys", "keys list", "repair index", "policy simulate"} <= names


def test_global_flags_after_the_command_move_before_it() -> None:
    assert hoist_global_flags(["apply", "-q", "--auto-approve"]) == ["-q", "apply", "--auto-approve"]
    assert hoist_global_flags(["backup", "docs", "--verbose", "--debug"]) == ["--verbose", "--debug", "backup", "docs"]


def test_global_flags_after_a_double_dash_stay_where_they_are() -> None:
    assert hoist_global_flags(["policy", "simulate", "--", "-v"]) == ["policy", "simulate", "--", "-v"]


def test_quiet_and_verbose_together_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["-q", "schema", "-v"]) == 64
    assert "--quiet or --verbose" in capsys.readouterr().err


def _as_bkctl(tmp_path: Path) -> Path:
    """A ``bkctl`` script like the one pip installs (completion keys on the program's name)."""
    script = tmp_path / "bkctl"
    script.write_text(f"#!{sys.executable}\nimport sys\nfrom bkctl.cli.main import run\nsys.exit(run())\n")
    script.chmod(0o755)
    return script


def test_shell_completion_completes_commands_and_options(tmp_path: Path) -> None:
    script = _as_bkctl(tmp_path)
    env = {**os.environ, "_BKCTL_COMPLETE": "complete_bash", "COMP_WORDS": "bkctl res", "COMP_CWORD": "1"}
    assert subprocess.run([str(script)], env=env, capture_output=True, text=True).stdout.split() == ["restore"]
    env.update(COMP_WORDS="bkctl restore --to", COMP_CWORD="2")
    assert {"--to", "--to-file"} <= set(subprocess.run([str(script)], env=env, capture_output=True,
                                                       text=True).stdout.split())


def test_show_completion_prints_the_script_for_a_shell(tmp_path: Path) -> None:
    # Typer detects the user's shell from the parent processes, so a shell runs the command
    # (a test runner started without one, as by a daemon, has no shell to find).
    shown = subprocess.run(["bash", "-c", '"$0" --show-completion bash; exit $?', str(_as_bkctl(tmp_path))],
                           capture_output=True, text=True)
    assert shown.returncode == 0 and "_BKCTL_COMPLETE=complete_bash" in shown.stdout
