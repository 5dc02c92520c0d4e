"""Immutable vault copies through the CLI, on moto's S3 server (which enforces Object Lock).

moto enforces retention by its own clock, so the points are locked for real; ``--now`` moves
only bkctl's plan, which is how a test sees a lock that has ended for the plan but not yet
for the server (and the reverse never happens).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path

import boto3
import pytest
from cli import Runner
from objstore import ObjectServer, moto_s3  # noqa: F401

MANIFEST = """\
version: 1
protection: 2-1-1-1
encryption:
  passphrase_env: BKCTL_PASSPHRASE
targets:
  cloud:
    type: vault
    provider: {provider}
    container: {container}
    prefix: prod/
    key_env: VAULT_KEY
    secret_env: VAULT_SECRET
    host: 127.0.0.1
    port: {port}
    secure: false
    region: us-east-1
{immutable}policies:
  p:
    schedule: {{every: 8h}}
    retention: {{{retention}}}
workloads:
  docs:
    type: files
    paths: [data]
    policy: p
    targets: [cloud]
"""


def _project(project: Path, bkctl: Runner, server: ObjectServer, *, retention: str = "last: 1",
             immutable: str = "{days: 1}", provider: str = "s3") -> str:
    container = f"bkctl-{uuid.uuid4().hex[:12]}"
    (project / "bkctl.yaml").write_text(MANIFEST.format(
        provider=provider, container=container, port=server.port, retention=retention,
        immutable=f"    immutable: {immutable}\n" if immutable else ""))
    bkctl.env.update(VAULT_KEY=server.key, VAULT_SECRET=server.secret)
    return container


def _s3(server: ObjectServer):  # type: ignore[no-untyped-def]
    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{server.port}", aws_access_key_id=server.key,
                        aws_secret_access_key=server.secret, region_name=server.region)


def _retain_until(server: ObjectServer, container: str, point: str) -> datetime:
    head = _s3(server).head_object(Bucket=container, Key=f"prod/points/{point}")
    return head["ObjectLockRetainUntilDate"]  # type: ignore[no-any-return]


def _points(bkctl: Runner) -> list[str]:
    listed = bkctl("points", "--json")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    return [p["id"] for p in json.loads(listed.stdout)["points"]]


def test_apply_never_deletes_a_locked_point_and_the_plan_says_until_when(
        bkctl: Runner, project: Path, moto_s3: ObjectServer) -> None:  # noqa: F811
    container = _project(project, bkctl, moto_s3)
    first = bkctl("apply", "--auto-approve")
    assert first.returncode == 0, first.stdout + first.stderr
    (project / "data" / "new.txt").write_text("changed\n")
    second = bkctl("apply", "--auto-approve", "--now", "+9h")
    assert second.returncode == 0, second.stdout + second.stderr
    old, new = _points(bkctl)

    plan = bkctl("plan", "--now", "+10h", "--json")
    actions = json.loads(plan.stdout)["actions"]
    assert not [a for a in actions if a["kind"] == "prune"], actions
    warnings = [w["message"] for w in json.loads(plan.stdout)["warnings"] if w["kind"] == "kept-by-lock"]
    assert len(warnings) == 1 and f"{old[:8]} kept by lock until" in warnings[0]
    assert "kept by lock until" in bkctl("plan", "--now", "+10h").stdout

    applied = bkctl("apply", "--auto-approve", "--now", "+10h")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert _points(bkctl) == [old, new]
    versions = _s3(moto_s3).list_object_versions(Bucket=container, Prefix=f"prod/points/{old}")
    assert len(versions.get("Versions", [])) == 1 and not versions.get("DeleteMarkers")


def test_a_point_kept_past_its_lock_gets_extend_lock_and_its_retention_moves_later(
        bkctl: Runner, project: Path, moto_s3: ObjectServer) -> None:  # noqa: F811
    container = _project(project, bkctl, moto_s3, retention="within: 30d")
    assert bkctl("apply", "--auto-approve").returncode == 0
    [point] = _points(bkctl)
    before = _retain_until(moto_s3, container, point)

    plan = bkctl("plan", "--now", "+3d", "--json")
    extend = [a for a in json.loads(plan.stdout)["actions"] if a["kind"] == "extend-lock"]
    assert len(extend) == 1 and extend[0]["reason"] == "lock-ends-first"
    assert "retention keeps" in extend[0]["detail"] and "but its lock ends" in extend[0]["detail"]
    assert [p["id"] for p in extend[0]["points"]] == [point]

    applied = bkctl("apply", "--auto-approve", "--now", "+3d")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "extend-lock" in applied.stdout + applied.stderr
    after = _retain_until(moto_s3, container, point)
    assert after > before
    packs = _s3(moto_s3).list_objects_v2(Bucket=container, Prefix="prod/data/")["Contents"]
    locks = [_s3(moto_s3).head_object(Bucket=container, Key=p["Key"])["ObjectLockRetainUntilDate"] for p in packs]
    assert max(locks) >= after  # the point's data is locked as long as the point
    config = _s3(moto_s3).head_object(Bucket=container, Key="prod/config")["ObjectLockRetainUntilDate"]
    assert config >= after
    again = json.loads(bkctl("plan", "--now", "+3d", "--json").stdout)["actions"]
    assert not [a for a in again if a["kind"] == "extend-lock" and a["points"][0]["id"] == point]


def test_forgetting_a_locked_point_is_refused_with_a_clear_error(
        bkctl: Runner, project: Path, moto_s3: ObjectServer) -> None:  # noqa: F811
    _project(project, bkctl, moto_s3, retention="last: 5")
    assert bkctl("apply", "--auto-approve").returncode == 0
    (project / "data" / "new.txt").write_text("changed\n")
    assert bkctl("backup", "docs").returncode == 0
    old = _points(bkctl)[0]
    forgotten = bkctl("forget", old, "--yes")
    assert forgotten.returncode == 68, forgotten.stdout + forgotten.stderr
    assert f"object points/{old} is under object lock until" in forgotten.stdout + forgotten.stderr
    assert old in _points(bkctl)


def test_the_locked_copy_counts_as_immutable_for_3_2_1_1_0(
        bkctl: Runner, project: Path, moto_s3: ObjectServer) -> None:  # noqa: F811
    _project(project, bkctl, moto_s3)
    assert bkctl("apply", "--auto-approve").returncode == 0
    assert "immutable or offline" not in bkctl("plan").stdout
    _project(project, bkctl, moto_s3, immutable="")  # the same vault without object lock
    assert bkctl("apply", "--auto-approve").returncode == 0
    assert "1 immutable or offline (no copy is immutable or offline)" in bkctl("plan").stdout


def test_a_bucket_without_object_lock_stops_the_plan_with_the_reason(
        bkctl: Runner, project: Path, moto_s3: ObjectServer) -> None:  # noqa: F811
    container = _project(project, bkctl, moto_s3)
    _s3(moto_s3).create_bucket(Bucket=container)  # made by someone else, without object lock
    plan = bkctl("plan")
    assert plan.returncode == 69, plan.stdout + plan.stderr
    assert f"bucket '{container}' does not have object lock enabled" in plan.stdout
    assert "object lock not enabled" in plan.stdout  # the summary line's cause


@pytest.mark.parametrize(("provider", "why"), [("azure_blobs", "Azurite emulator implements none"),
                                             ("local", "plain folder")])
def test_providers_that_cannot_enforce_it_are_refused_at_validate(
        bkctl: Runner, project: Path, moto_s3: ObjectServer, provider: str, why: str) -> None:  # noqa: F811
    _project(project, bkctl, moto_s3, provider=provider)
    refused = bkctl("validate")
    assert refused.returncode == 1
    assert f"'immutable' cannot be enforced on provider '{provider}'" in refused.stdout + refused.stderr
    assert why in refused.stdout + refused.stderr
