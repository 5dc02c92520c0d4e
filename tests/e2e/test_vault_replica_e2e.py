"""Geo-redundancy between two vaults: primary on Azure Blob (Azurite), replica on S3 (moto)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from cli import Runner
from objstore import ObjectServer, azurite, moto_s3  # noqa: F401

MANIFEST = """\
version: 1
encryption:
  passphrase_env: BKCTL_PASSPHRASE
targets:
  primary:
    type: vault
    provider: {a.provider}
    container: {container}
    key_env: AZ_KEY
    secret_env: AZ_SECRET
    host: 127.0.0.1
    port: {a.port}
    secure: false
    replica: secondary
  secondary:
    type: vault
    provider: {m.provider}
    container: {container}
    key_env: S3_KEY
    secret_env: S3_SECRET
    host: 127.0.0.1
    port: {m.port}
    secure: false
    region: {m.region}
    encryption:
      passphrase_env: REPLICA_PASSPHRASE
policies:
  every-8h:
    schedule: {{every: 8h}}
    retention: {{last: 3}}
workloads:
  docs:
    type: files
    paths: [data]
    policy: every-8h
    targets: [primary]
"""


def test_apply_backs_up_into_one_vault_and_copies_into_the_other(
        bkctl: Runner, project: Path, azurite: ObjectServer, moto_s3: ObjectServer) -> None:  # noqa: F811
    container = f"bkctl-{uuid.uuid4().hex[:12]}"
    (project / "bkctl.yaml").write_text(MANIFEST.format(a=azurite, m=moto_s3, container=container))
    bkctl.env.update(AZ_KEY=azurite.key, AZ_SECRET=azurite.secret, S3_KEY=moto_s3.key,
                     S3_SECRET=moto_s3.secret, REPLICA_PASSPHRASE="another passphrase for the replica")
    plan = json.loads(bkctl("plan", "--json").stdout)
    assert [(a["kind"], a["target"]) for a in plan["actions"]] == [
        ("init-target", "primary"), ("init-target", "secondary"), ("backup", "primary"), ("copy", "secondary")]
    applied = bkctl("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert bkctl("plan", "--detailed-exitcode").returncode == 0
    points = json.loads(bkctl("points", "--json").stdout)["points"]
    assert sorted(p["target"] for p in points) == ["primary", "secondary"]
    assert len({p["id"] for p in points}) == 1  # the copy keeps the point's identity
    restored = bkctl("restore", "docs", "--target", "secondary", "--to", "out")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    copy = project / "out" / str(project / "data").lstrip("/")
    assert (copy / "sub" / "b.bin").read_bytes() == (project / "data" / "sub" / "b.bin").read_bytes()
    assert bkctl("verify", "--target", "secondary", "--read-data", "100").returncode == 0
