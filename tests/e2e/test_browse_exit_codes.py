"""The README's exit codes from ls, find, diff, dump, forget and stats: the same situation
gives the code every other command gives (a wrong passphrase 65, a server that does not
answer 69, a missing manifest 66).

Run in-process through the one error boundary (bkctl.cli.main.run): the situations stop
every command before its own work starts, and an interpreter start costs a second or two.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from cli import Runner

from bkctl.cli.main import run

BROWSE_COMMANDS: dict[str, tuple[str, ...]] = {
    "ls": ("ls", "docs"),
    "find": ("find", "*.txt"),
    "diff": ("diff", "ab", "cd"),
    "dump": ("dump", "docs", "/a.txt"),
    "forget": ("forget", "ab", "--yes"),
    "stats": ("stats",),
}

UNREACHABLE_VAULT = """\
version: 1
encryption: {{passphrase_env: BKCTL_PASSPHRASE}}
targets:
  local: {{type: vault, provider: s3, container: nobody-listens, key_env: VAULT_KEY, secret_env: VAULT_SECRET,
          host: 127.0.0.1, port: {port}, secure: false, region: us-east-1}}
policies:
  every-8h: {{schedule: {{every: 8h}}, retention: {{last: 3}}}}
workloads:
  docs: {{type: files, paths: [data], policy: every-8h, targets: [local]}}
"""


def in_process(project: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
               commands: dict[str, tuple[str, ...]] = BROWSE_COMMANDS) -> dict[str, int]:
    monkeypatch.chdir(project)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return {name: run(list(argv)) for name, argv in commands.items()}


def test_a_wrong_passphrase_is_65(bkctl: Runner, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert bkctl("backup", "docs").returncode == 0
    env = {**bkctl.env, "BKCTL_PASSPHRASE": "not the passphrase"}
    assert in_process(project, monkeypatch, env) == dict.fromkeys(BROWSE_COMMANDS, 65)


def test_a_server_that_does_not_answer_is_69(bkctl: Runner, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    (project / "bkctl.yaml").write_text(UNREACHABLE_VAULT.format(port=port))
    env = {**bkctl.env, "VAULT_KEY": "key", "VAULT_SECRET": "secret", "BKCTL_TEST_FAST_RETRY": "1"}
    assert in_process(project, monkeypatch, env) == dict.fromkeys(BROWSE_COMMANDS, 69)


def test_a_missing_manifest_is_66(bkctl: Runner, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = {name: (*argv, "-m", "missing.yaml") for name, argv in BROWSE_COMMANDS.items()}
    commands["mount"] = ("mount", "docs", str(project), "-m", "missing.yaml")
    codes = in_process(project, monkeypatch, bkctl.env, commands)
    assert codes.pop("mount") in (66, 70)  # 70 first where FUSE is missing
    assert codes == dict.fromkeys(BROWSE_COMMANDS, 66)
