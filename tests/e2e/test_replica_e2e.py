"""Geo-redundant replicas and many hosts on one vault, through the CLI as users run it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPLICATED = """\
version: 1
settings:
  host: {host}
encryption:
  passphrase_env: BKCTL_PASSPHRASE
targets:
  primary:
    type: disk
    path: repo-a
    replica: second
  second:
    type: disk
    path: repo-b
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


@pytest.fixture
def replicated(project: Path) -> Path:
    (project / "bkctl.yaml").write_text(REPLICATED.format(host="web-01"))
    return project


def test_one_apply_backs_up_then_copies_into_the_replica(bkctl, replicated):
    planned = json.loads(bkctl("plan", "--json").stdout)
    assert [(a["kind"], a["target"]) for a in planned["actions"]] == [
        ("init-target", "primary"), ("init-target", "second"), ("backup", "primary"), ("copy", "second")]
    applied = bkctl("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "1 recovery point copied from 'primary'" in applied.stdout
    points = json.loads(bkctl("points", "--json").stdout)["points"]
    by_target = {p["target"]: p["id"] for p in points}
    assert by_target.keys() == {"primary", "second"} and len(set(by_target.values())) == 1
    again = bkctl("plan", "--detailed-exitcode")
    assert again.returncode == 0 and "No changes." in again.stdout, again.stdout


def test_a_copy_of_an_unchanged_backup_reads_no_chunk_from_the_source(bkctl, replicated):
    first = bkctl("apply", "--auto-approve")
    assert re.search(r"copied from 'primary' \(\d+ new blobs, \d+ already there; [1-9]\d* chunks read", first.stdout)
    second = bkctl("apply", "--auto-approve", "--now", "+9h")  # due again, nothing changed
    assert second.returncode == 0, second.stdout + second.stderr
    assert "; 0 chunks read from the source)" in second.stdout, second.stdout


def test_restore_from_the_replica_gives_back_the_same_files(bkctl, replicated):
    assert bkctl("apply", "--auto-approve").returncode == 0
    out = replicated / "restored"
    result = bkctl("restore", "docs", "--target", "second", "--to", str(out))
    assert result.returncode == 0, result.stderr
    data = replicated / "data"
    back = out / data.relative_to("/")
    assert (back / "a.txt").read_bytes() == (data / "a.txt").read_bytes()
    assert (back / "sub" / "b.bin").read_bytes() == (data / "sub" / "b.bin").read_bytes()


def test_a_point_missing_from_the_replica_is_copied_by_the_next_apply(bkctl, replicated):
    manifest = replicated / "bkctl.yaml"
    manifest.write_text(REPLICATED.format(host="web-01").replace("    replica: second\n", ""))
    assert bkctl("apply", "--auto-approve").returncode == 0
    manifest.write_text(REPLICATED.format(host="web-01"))
    plan = bkctl("plan")
    assert "copy" in plan.stdout and "1 recovery point from 'primary'" in plan.stdout
    assert "Plan: 1 copy." in plan.stdout  # second was initialised by the first apply
    assert bkctl("apply", "--auto-approve").returncode == 0
    assert bkctl("verify", "--target", "second").returncode == 0


def test_status_all_hosts_shows_every_host_of_a_shared_target(bkctl, replicated):
    other = replicated / "other"
    (other / "data").mkdir(parents=True)
    (other / "data" / "x.txt").write_text("from another host\n")
    (other / "bkctl.yaml").write_text(
        REPLICATED.format(host="db-01").replace("repo-a", "../repo-a").replace("repo-b", "../repo-b")
        .replace("  docs:", "  dumps:"))
    assert bkctl("apply", "--auto-approve").returncode == 0
    assert bkctl("apply", "--auto-approve", "--manifest", str(other / "bkctl.yaml")).returncode == 0
    own = json.loads(bkctl("status", "--json").stdout)["workloads"]
    assert {(r["host"], r["workload"], r["target"]) for r in own} == {
        ("web-01", "docs", "primary"), ("web-01", "docs", "second")}
    central = json.loads(bkctl("status", "--all-hosts", "--json").stdout)["workloads"]
    rows = {(r["host"], r["workload"], r["target"]): r for r in central}
    assert set(rows) == {(h, w, t) for h, w in (("web-01", "docs"), ("db-01", "dumps"))
                         for t in ("primary", "second")}
    assert rows[("db-01", "dumps", "primary")]["compliant"] is None
    assert rows[("db-01", "dumps", "primary")]["note"] == "unmanaged"
    assert rows[("web-01", "docs", "primary")]["compliant"] is True
    table = bkctl("status", "--all-hosts")
    assert "db-01" in table.stdout and "unmanaged" in table.stdout
    # Neither manifest plans anything about the other host's points.
    plan = bkctl("plan", "--detailed-exitcode")
    assert plan.returncode == 0 and "orphan" not in plan.stdout
