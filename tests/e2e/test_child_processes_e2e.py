"""Hooks and command workloads never see the passphrase or the vault credentials (issue 9, defect 7).

A ``command: [sh, -c, env]`` workload stores its whole environment in a recovery point, so
whatever bkctl hands its children ends up inside the backup; hooks write theirs to a file.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from cli import PASSPHRASE, Runner
from objstore import AZURITE_ACCOUNT, AZURITE_KEY, ObjectServer, azurite  # noqa: F401

VAULT_PASSPHRASE = "vault passphrase of the cloud target"

MANIFEST = """\
version: 1
encryption:
  passphrase_env: BKCTL_PASSPHRASE
targets:
  local: {{type: disk, path: repo}}
  cloud:
    type: vault
    provider: azure_blobs
    container: {container}
    key_env: VAULT_KEY
    secret_env: VAULT_SECRET
    host: 127.0.0.1
    port: {port}
    secure: false
    encryption: {{passphrase_env: VAULT_PASSPHRASE}}
policies:
  hourly:
    schedule: {{every: 1h}}
    retention: {{last: 3}}
workloads:
  out:
    type: command
    command: [sh, -c, env]
    policy: hourly
    targets: [local, cloud]
{extra}    hooks:
      before: ["env > before.env"]
      after: [[sh, -c, "env > after.env"]]
"""


def _project(bkctl: Runner, server: ObjectServer, extra: str = "") -> None:
    text = MANIFEST.format(container=f"bkctl-{uuid.uuid4().hex[:12]}", port=server.port, extra=extra)
    (bkctl.cwd / "bkctl.yaml").write_text(text)
    bkctl.env.update(VAULT_KEY=server.key, VAULT_SECRET=server.secret, VAULT_PASSPHRASE=VAULT_PASSPHRASE)


def _apply_and_restore(bkctl: Runner) -> dict[str, str]:
    """Back up, restore the command's point, and return what each child saw."""
    applied = bkctl("apply", "-m", "bkctl.yaml", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    restored = bkctl("restore", "out", "--target", "cloud", "--to-file", "restored.env")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    seen = {name: (bkctl.cwd / name).read_text() for name in ("restored.env", "before.env", "after.env")}
    for text in seen.values():
        assert "PATH=" in text and "BKCTL_CACHE_DIR=" in text  # the rest of the environment is still there
    return seen


def test_no_secret_reaches_a_command_workload_or_a_hook(bkctl: Runner, azurite: ObjectServer):  # noqa: F811
    _project(bkctl, azurite)
    seen = _apply_and_restore(bkctl)
    for name, text in seen.items():
        for secret in (PASSPHRASE, VAULT_PASSPHRASE, AZURITE_KEY, AZURITE_ACCOUNT):
            assert secret not in text, f"{name} holds a secret"
        for variable in ("BKCTL_PASSPHRASE=", "VAULT_PASSPHRASE=", "VAULT_KEY=", "VAULT_SECRET="):
            assert variable not in text, f"{name} holds {variable}"
    assert "BKCTL_WORKLOAD=out" in seen["before.env"] and "BKCTL_STATUS=success" in seen["after.env"]


def test_pass_env_lets_a_named_secret_through_and_no_other(bkctl: Runner, azurite: ObjectServer):  # noqa: F811
    _project(bkctl, azurite, extra="    pass_env: [VAULT_SECRET]\n")
    seen = _apply_and_restore(bkctl)
    for text in seen.values():
        assert f"VAULT_SECRET={AZURITE_KEY}" in text
        assert PASSPHRASE not in text and VAULT_PASSPHRASE not in text and "VAULT_KEY=" not in text


def test_plan_warns_of_a_hook_program_that_cannot_be_found(bkctl: Runner, project: Path):
    text = (project / "bkctl.yaml").read_text()
    (project / "bkctl.yaml").write_text(text + "    hooks:\n      before: [[no-such-quiesce-tool, --all]]\n"
                                               "      after: ['echo resumed']\n")
    planned = bkctl("plan", "bkctl.yaml", "--json")
    assert planned.returncode == 0, planned.stderr
    warnings = json.loads(planned.stdout)["warnings"]
    assert [w["message"] for w in warnings if w["kind"] == "tool-missing"] == [
        "workload 'docs': before hook 'no-such-quiesce-tool': no-such-quiesce-tool is not installed or not on PATH"]
    shown = bkctl("plan", "bkctl.yaml")
    assert "no-such-quiesce-tool is not installed" in shown.stdout


def test_an_old_single_argv_hook_is_refused_at_load_time(bkctl: Runner, project: Path):
    text = (project / "bkctl.yaml").read_text()
    (project / "bkctl.yaml").write_text(text + "    hooks:\n      before: [pg_ctl, stop, -m, fast]\n")
    validated = bkctl("validate", "bkctl.yaml")
    assert validated.returncode == 1
    assert "bkctl.yaml:19:" in validated.stdout + validated.stderr
    assert "did you mean one argv list: [[pg_ctl, stop, -m, fast]]?" in validated.stdout + validated.stderr
