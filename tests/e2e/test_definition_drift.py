"""Desired-state drift: a changed definition is planned as a backup, a missing source is a warning."""

from __future__ import annotations

import json
from pathlib import Path

from cli import Runner


def backups(planned: str) -> list[tuple[str, str]]:
    """(workload, reason) of every backup in a JSON plan."""
    return [(a["workload"], a["reason"]) for a in json.loads(planned)["actions"] if a["kind"] == "backup"]


def test_changed_paths_plan_a_backup_with_reason_definition_changed(bkctl: Runner, project: Path) -> None:
    assert bkctl("apply", "--auto-approve").returncode == 0
    (project / "more").mkdir()
    manifest = project / "bkctl.yaml"
    manifest.write_text(manifest.read_text().replace("paths: [data]", "paths: [data, more]"))
    planned = bkctl("plan", "--json", "--detailed-exitcode")
    assert planned.returncode == 2, planned.stderr
    assert backups(planned.stdout) == [("docs", "definition-changed")]
    assert bkctl("apply", "--auto-approve").returncode == 0
    assert bkctl("plan", "--detailed-exitcode").returncode == 0  # the new point carries the new digest


def test_a_new_policy_or_description_is_no_definition_change(bkctl: Runner, project: Path) -> None:
    assert bkctl("apply", "--auto-approve").returncode == 0
    manifest = project / "bkctl.yaml"
    manifest.write_text(manifest.read_text().replace("    policy: every-8h\n",
                                                     "    policy: every-8h\n    description: the docs\n")
                        .replace("retention: {last: 3}", "retention: {last: 5}"))
    assert bkctl("plan", "--detailed-exitcode").returncode == 0


def test_a_missing_source_path_is_a_plan_warning(bkctl: Runner, project: Path) -> None:
    manifest = project / "bkctl.yaml"
    manifest.write_text(manifest.read_text().replace("paths: [data]", "paths: [data, gone]"))
    planned = bkctl("plan")
    assert planned.returncode == 0, planned.stderr
    assert f"Warning [source-missing]: workload 'docs': source path {project / 'gone'} does not exist" in (
        " ".join(planned.stdout.split()))
