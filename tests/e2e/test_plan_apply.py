"""The plan/apply workflow end to end on a disk target, as issue #4 describes it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta


def test_fresh_manifest_plans_init_and_backup_with_exit_2(bkctl, project):
    result = bkctl("plan", "--detailed-exitcode")
    assert result.returncode == 2, result.stderr
    assert "init-target" in result.stdout and "never-backed-up" in result.stdout
    assert "Plan: 1 backup, 1 target to initialise." in result.stdout


def test_apply_then_plan_is_empty_then_due_after_the_interval(bkctl, project):
    applied = bkctl("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete: 2 actions done; 2 files (16.6 KiB) backed up" in applied.stdout
    empty = bkctl("plan", "--detailed-exitcode")
    assert empty.returncode == 0 and "No changes." in empty.stdout
    later = (datetime.now(UTC) + timedelta(hours=9)).isoformat()
    due = bkctl("plan", "--detailed-exitcode", "--now", later, "--json")
    assert due.returncode == 2
    plan = json.loads(due.stdout)
    assert plan["format_version"] == 1
    assert [(a["kind"], a["workload"], a["reason"]) for a in plan["actions"]] == [("backup", "docs", "schedule-due")]


def test_saved_plan_is_refused_when_the_target_moved(bkctl, project):
    assert bkctl("apply", "--auto-approve").returncode == 0
    later = (datetime.now(UTC) + timedelta(hours=9)).isoformat()
    saved = bkctl("plan", "--now", later, "--out", "due.json")
    assert saved.returncode == 0 and (project / "due.json").is_file()
    assert bkctl("backup", "docs").returncode == 0  # someone else backs up in between
    stale = bkctl("apply", "due.json")
    assert stale.returncode == 72
    assert "saved plan is stale" in stale.stderr and "target 'local' changed" in stale.stderr


def test_saved_plan_is_refused_when_the_manifest_changed(bkctl, project):
    assert bkctl("plan", "--out", "p.json").returncode == 0
    manifest = project / "bkctl.yaml"
    manifest.write_text(manifest.read_text().replace("last: 3", "last: 4"))
    stale = bkctl("apply", "p.json")
    assert stale.returncode == 72 and "the manifest changed" in stale.stderr


def test_saved_plan_applies_when_nothing_moved(bkctl, project):
    assert bkctl("plan", "--out", "p.json").returncode == 0
    applied = bkctl("apply", "p.json")
    assert applied.returncode == 0, applied.stderr
    assert "backup docs -> local" in applied.stdout
    points = json.loads(bkctl("points", "--json").stdout)["points"]
    assert [p["workload"] for p in points] == ["docs"]


def test_apply_refuses_to_prompt_without_a_terminal(bkctl, project):
    result = bkctl("apply", input="yes\n")
    assert result.returncode == 64 and "--auto-approve" in result.stderr
    assert not (project / "repo").exists()  # nothing was done


def test_retention_prunes_beyond_last_3_and_reclaims(bkctl, project):
    for _ in range(4):
        assert bkctl("backup", "docs").returncode == 0
    plan = json.loads(bkctl("plan", "--json").stdout)
    kinds = [a["kind"] for a in plan["actions"]]
    assert kinds == ["prune", "reclaim"]
    assert len(plan["actions"][0]["points"]) == 1
    assert bkctl("apply", "--auto-approve").returncode == 0
    assert len(json.loads(bkctl("points", "--json").stdout)["points"]) == 3


def test_markdown_plan_is_fit_for_a_pull_request(bkctl, project):
    result = bkctl("plan", "--format", "markdown")
    assert result.returncode == 0
    assert "| action | target | workload | reason | detail |" in result.stdout
    assert "**Plan: 1 backup, 1 target to initialise.**" in result.stdout


def test_status_check_fails_on_breach_and_passes_after_backup(bkctl, project):
    assert bkctl("status", "--check").returncode == 1
    assert bkctl("apply", "--auto-approve").returncode == 0
    rows = json.loads(bkctl("status", "--json").stdout)["workloads"]
    assert rows[0]["compliant"] is True and rows[0]["points"] == 1
    assert bkctl("status", "--check").returncode == 0
    far = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    assert bkctl("status", "--check", "--now", far).returncode == 1
    metrics = bkctl("status", "--format", "prometheus").stdout
    assert 'bkctl_recovery_points{workload="docs",target="local"' in metrics


def test_policy_simulate_shows_what_a_library_policy_keeps(bkctl, project):
    result = bkctl("policy", "simulate", "dev-light", "--every", "1d", "--for", "30d", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["points"] == 31 and payload["kept"] == 7


def test_policy_simulate_reads_points_from_a_file(bkctl, project):
    (project / "points.txt").write_text("2024-02-28T10:00:00Z\n2024-02-29T10:00:00Z\n2024-03-01T10:00:00Z\n")
    result = bkctl("policy", "simulate", "every-8h", "--points", "points.txt", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["kept"] == 3


def test_unknown_workload_and_bad_time_are_clear_errors(bkctl, project):
    unknown = bkctl("plan", "--workload", "nope")
    assert unknown.returncode == 66 and "no workload named 'nope'" in unknown.stderr
    bad = bkctl("plan", "--now", "yesterday")
    assert bad.returncode == 64 and "--now" in bad.stderr


def test_mass_prune_needs_explicit_confirmation(bkctl, project):
    manifest = project / "bkctl.yaml"
    for _ in range(4):
        assert bkctl("backup", "docs").returncode == 0
    text = manifest.read_text().replace("last: 3", "last: 1")
    manifest.write_text(text.replace("version: 1\n", "version: 1\nsettings:\n  max_prune_per_apply: 2\n"))
    plan = bkctl("plan")
    assert "mass-prune" in plan.stdout + plan.stderr
    refused = bkctl("apply", "--auto-approve")
    assert refused.returncode == 64 and "--allow-mass-prune" in refused.stderr
    assert len(json.loads(bkctl("points", "--json").stdout)["points"]) == 4
    allowed = bkctl("apply", "--auto-approve", "--allow-mass-prune")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert len(json.loads(bkctl("points", "--json").stdout)["points"]) == 1


def test_policy_verify_is_planned_applied_and_then_not_due(bkctl, project):
    manifest = project / "bkctl.yaml"
    manifest.write_text(manifest.read_text().replace(
        "    retention: {last: 3}\n", "    retention: {last: 3}\n    verify: {every: 7d, read_data: 100}\n"))
    first = json.loads(bkctl("plan", "--json").stdout)
    assert [a["kind"] for a in first["actions"]] == ["init-target", "backup"]  # nothing to verify yet
    assert bkctl("apply", "--auto-approve").returncode == 0
    second = json.loads(bkctl("plan", "--json").stdout)
    assert [(a["kind"], a["reason"]) for a in second["actions"]] == [("verify", "verify-due")]
    applied = bkctl("apply", "--auto-approve")
    assert applied.returncode == 0 and "repository verified" in applied.stdout
    assert bkctl("plan", "--detailed-exitcode").returncode == 0
    later = (datetime.now(UTC) + timedelta(days=8)).isoformat()
    due = json.loads(bkctl("plan", "--json", "--now", later).stdout)
    assert "verify" in [a["kind"] for a in due["actions"]]


def test_a_lock_held_by_a_live_process_is_a_plan_warning(bkctl, project):
    import os
    import socket

    assert bkctl("apply", "--auto-approve").returncode == 0
    lock = {"host": socket.gethostname(), "pid": os.getpid(), "exclusive": True,
            "time": datetime.now(UTC).isoformat(), "refreshed": datetime.now(UTC).isoformat()}
    (project / "repo" / "locks").mkdir(exist_ok=True)
    (project / "repo" / "locks" / ("ab" * 16)).write_text(json.dumps(lock))
    plan = json.loads(bkctl("plan", "--json").stdout)
    assert [w["kind"] for w in plan["warnings"]] == ["lock-held"]
    blocked = bkctl("backup", "docs")
    assert blocked.returncode == 68 and "repository is locked" in blocked.stdout  # the lock's own code
