"""One situation, one exit code, whichever command meets it (README's exit-code table).

Each test puts the project into one situation and runs every command that can meet it;
the assertion compares the whole {command: code} table, so a failure names every command
that disagrees.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from cli import Runner

from bkctl.cli.main import run

WRONG = {"BKCTL_PASSPHRASE": "not the passphrase"}

# Commands that read the target, with the arguments this e2e project needs.
TARGET_COMMANDS: dict[str, tuple[str, ...]] = {
    "plan --detailed-exitcode": ("plan", "bkctl.yaml", "--detailed-exitcode"),
    "plan": ("plan", "bkctl.yaml"),
    "apply": ("apply", "--auto-approve"),
    "status": ("status",),
    "backup": ("backup", "docs"),
    "points": ("points",),
    "restore": ("restore", "docs", "--to", "restored"),
    "verify": ("verify",),
    "keys list": ("keys", "list", "--target", "local"),
}

VAULT = """\
version: 1
encryption:
  passphrase_env: BKCTL_PASSPHRASE
targets:
  local:
    type: vault
    provider: s3
    container: nobody-listens
    key_env: VAULT_KEY
    secret_env: VAULT_SECRET
    host: 127.0.0.1
    port: {port}
    secure: false
    region: us-east-1
policies:
  every-8h:
    schedule: {{every: 8h}}
    retention: {{last: 3}}
workloads:
  docs:
    type: files
    paths: [data]
    policy: every-8h
    targets: [local]
"""


def codes(bkctl: Runner, commands: dict[str, tuple[str, ...]], extra_env: dict[str, str] | None = None,
          ) -> dict[str, int]:
    return {name: bkctl(*argv, extra_env=extra_env).returncode for name, argv in commands.items()}


def _some(commands: dict[str, tuple[str, ...]], *names: str) -> dict[str, tuple[str, ...]]:
    return {name: commands[name] for name in names}


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_wrong_passphrase_is_65_from_every_command(bkctl: Runner, project: Path) -> None:
    assert bkctl("apply", "--auto-approve").returncode == 0
    assert codes(bkctl, TARGET_COMMANDS, WRONG) == dict.fromkeys(TARGET_COMMANDS, 65)


def test_a_missing_passphrase_is_65_too(bkctl: Runner, project: Path) -> None:
    assert bkctl("apply", "--auto-approve").returncode == 0
    bkctl.env.pop("BKCTL_PASSPHRASE")
    assert codes(bkctl, _some(TARGET_COMMANDS, "plan --detailed-exitcode", "status", "backup")) == dict.fromkeys(
        ("plan --detailed-exitcode", "status", "backup"), 65)


def test_a_server_that_does_not_answer_is_69_from_every_command(bkctl: Runner, project: Path) -> None:
    (project / "bkctl.yaml").write_text(VAULT.format(port=closed_port()))
    bkctl.env.update(VAULT_KEY="key", VAULT_SECRET="secret", BKCTL_TEST_FAST_RETRY="1")
    assert codes(bkctl, TARGET_COMMANDS) == dict.fromkeys(TARGET_COMMANDS, 69)


def test_a_missing_storage_credential_is_65_from_every_command(bkctl: Runner, project: Path) -> None:
    (project / "bkctl.yaml").write_text(VAULT.format(port=closed_port()))
    bkctl.env.update(VAULT_KEY="key", BKCTL_TEST_FAST_RETRY="1")  # VAULT_SECRET unset
    chosen = _some(TARGET_COMMANDS, "plan --detailed-exitcode", "apply", "status", "points")
    assert codes(bkctl, chosen) == dict.fromkeys(chosen, 65)


def test_a_missing_dump_tool_is_a_plan_warning_and_70_from_backup_and_apply(bkctl: Runner, project: Path) -> None:
    (project / "bkctl.yaml").write_text(
        (project / "bkctl.yaml").read_text().split("workloads:")[0]
        + "workloads:\n  db:\n    type: postgres\n    server: 127.0.0.1\n    database: test\n"
          "    policy: every-8h\n    targets: [local]\n")
    without_tools = {"PATH": str(project / "no-tools")}
    planned = bkctl("plan", "bkctl.yaml", "--detailed-exitcode", extra_env=without_tools)
    assert planned.returncode == 2 and "Warning [tool-missing]" in planned.stdout, planned.stdout
    commands = {"backup": ("backup", "db"), "apply": ("apply", "--auto-approve")}
    assert codes(bkctl, commands, without_tools) == {"backup": 70, "apply": 70}


def test_existing_files_on_restore_are_1_from_every_restore(bkctl: Runner, project: Path) -> None:
    assert bkctl("apply", "--auto-approve").returncode == 0
    assert bkctl("restore", "docs", "--to", "restored").returncode == 0
    (project / "taken.bin").write_bytes(b"mine")
    commands = {"restore --to": ("restore", "docs", "--to", "restored"),
                "restore --to-file": ("restore", "docs", "--to-file", "taken.bin")}
    assert codes(bkctl, commands) == {"restore --to": 1, "restore --to-file": 1}


def _manifest_commands(manifest: str) -> dict[str, tuple[str, ...]]:
    """Every command that loads a manifest, pointed at ``manifest``."""
    named = ("-m", manifest)
    return {
        "validate": ("validate", manifest), "plan": ("plan", manifest), "apply": ("apply", *named),
        "status": ("status", *named), "backup": ("backup", "docs", *named), "points": ("points", *named),
        "restore": ("restore", "docs", "--to", "restored", *named), "verify": ("verify", *named),
        "keys list": ("keys", "list", "--target", "local", *named),
    }


# A manifest that is missing or invalid stops every command before any I/O, at the one
# error boundary (bkctl.cli.main.run); calling it in-process spares 18 interpreter starts.
def in_process(project: Path, commands: dict[str, tuple[str, ...]], monkeypatch: pytest.MonkeyPatch,
               ) -> dict[str, int]:
    monkeypatch.chdir(project)
    return {name: run(list(argv)) for name, argv in commands.items()}


def test_a_manifest_that_does_not_exist_is_66_from_every_command(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = _manifest_commands("missing.yaml")
    assert in_process(project, commands, monkeypatch) == dict.fromkeys(commands, 66)


def test_an_invalid_manifest_is_1_from_every_command(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "bad.yaml").write_text("version: 1\ntargets: {local: {type: floppy}}\n")
    commands = _manifest_commands("bad.yaml")
    assert in_process(project, commands, monkeypatch) == dict.fromkeys(commands, 1)


def test_a_stale_saved_plan_is_72(bkctl: Runner, project: Path) -> None:
    assert bkctl("plan", "--out", "plan.json").returncode == 0
    assert bkctl("backup", "docs").returncode == 0
    assert bkctl("apply", "plan.json").returncode == 72
    assert json.loads((project / "plan.json").read_text())["errors"] == []
