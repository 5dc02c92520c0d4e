"""The 3-2-1-1-0 rule end to end: a local disk alone misses letters; a vault replica at another
site (Azurite) and then an immutable declaration remove them, checked against real copies."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from cli import Runner
from objstore import ObjectServer, azurite  # noqa: F401

HEAD = """\
version: 1
encryption:
  passphrase_env: BKCTL_PASSPHRASE
protection: 3-2-1-1-0
targets:
  local:
    type: disk
    path: repo
{replica}policies:
  every-8h:
    schedule: {{every: 8h}}
    retention: {{last: 3}}
workloads:
  docs: {{type: files, paths: [data], policy: every-8h, targets: [local]}}
"""
VAULT = """\
    replica: offsite
  offsite:
    type: vault
    provider: azure_blobs
    container: {container}
    key_env: AZ_KEY
    secret_env: AZ_SECRET
    host: 127.0.0.1
    port: {port}
    secure: false
    placement: {{location: dc2{immutable}}}
"""


def protection_messages(bkctl: Runner) -> list[str]:
    planned = bkctl("plan", "--json")
    assert planned.returncode == 0, planned.stderr
    return [w["message"] for w in json.loads(planned.stdout)["warnings"] if w["kind"] == "protection"]


def write(project: Path, replica: str) -> None:
    (project / "bkctl.yaml").write_text(HEAD.format(replica=replica))


def test_letters_fail_with_a_disk_alone_and_pass_one_by_one_as_real_copies_are_added(
        bkctl: Runner, project: Path, azurite: ObjectServer) -> None:  # noqa: F811
    bkctl.env.update(AZ_KEY=azurite.key, AZ_SECRET=azurite.secret)
    write(project, "")
    before = protection_messages(bkctl)
    assert len(before) == 1 and "missing 3 copies (has 1: production)" in before[0]  # nothing backed up yet
    assert bkctl("apply", "--auto-approve").returncode == 0
    assert bkctl("verify", "--target", "local").returncode == 0
    [message] = protection_messages(bkctl)
    assert "does not meet 3-2-1-1-0: missing 3 copies (has 2: production, local); 2 media (has 1: disk); " \
           "1 off-site (no copy outside site 'local'); 1 immutable or offline" in message
    assert "verify errors" not in message  # the local copy was just verified clean

    vault = VAULT.format(container=f"bkctl-{uuid.uuid4().hex[:12]}", port=azurite.port, immutable="{}")
    write(project, vault.replace("{}", ""))
    declared_only = protection_messages(bkctl)  # declared, but no copy exists there yet
    assert "missing 3 copies" in declared_only[0]
    applied = bkctl("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    [message] = protection_messages(bkctl)
    assert "3 copies" not in message and "2 media" not in message and "off-site" not in message
    assert "1 immutable or offline (no copy is immutable or offline)" in message
    assert "0 verify errors (offsite never verified)" in message
    assert bkctl("verify", "--target", "offsite").returncode == 0
    [message] = protection_messages(bkctl)
    assert message.endswith("missing 1 immutable or offline (no copy is immutable or offline)")

    write(project, vault.replace("{}", ", immutable: true"))
    assert protection_messages(bkctl) == []
    rows = json.loads(bkctl("status", "--json").stdout)["workloads"]
    assert {row["protection"] for row in rows} == {"3-2-1-1-0: met"}
