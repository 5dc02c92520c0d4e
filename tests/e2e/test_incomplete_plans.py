"""A target bkctl cannot read makes plan, apply and status fail loudly, never "No changes."."""

from __future__ import annotations

import json
from pathlib import Path

from cli import Runner

WRONG = {"BKCTL_PASSPHRASE": "wrong"}

TWO_TARGETS = """\
version: 1
targets:
  local: {type: disk, path: repo, encryption: {passphrase_env: LOCAL_PASSPHRASE}}
  offsite: {type: disk, path: offsite, encryption: {passphrase_env: BKCTL_PASSPHRASE}}
policies:
  every-8h:
    schedule: {every: 8h}
    retention: {last: 3}
workloads:
  docs:
    type: files
    paths: [data]
    policy: every-8h
    targets: [local, offsite]
"""


def test_a_wrong_passphrase_names_the_target_first_and_in_the_summary(bkctl: Runner, project: Path) -> None:
    assert bkctl("apply", "--auto-approve").returncode == 0
    for argv in (("plan", "--detailed-exitcode"), ("plan",)):
        planned = bkctl(*argv, extra_env=WRONG)
        assert planned.returncode == 65, planned.stdout + planned.stderr
        first = planned.stdout.splitlines()[0]
        assert first.startswith("Error: target 'local' could not be read (wrong passphrase"), planned.stdout
        assert "hint: check the passphrase" in planned.stdout
        assert planned.stdout.rstrip().endswith("1 target unreachable: local (wrong or missing passphrase).")
        assert "No changes." not in planned.stdout


def test_the_markdown_plan_shows_the_failure_where_a_reviewer_cannot_miss_it(bkctl: Runner, project: Path) -> None:
    assert bkctl("apply", "--auto-approve").returncode == 0
    planned = bkctl("plan", "--format", "markdown", "--detailed-exitcode", extra_env=WRONG)
    assert planned.returncode == 65
    head = planned.stdout.splitlines()[:5]
    assert head[0] == "### bkctl plan" and "> [!CAUTION]" in head and "❌" in "\n".join(head)
    assert "could not be read" in planned.stdout and "(exit code 65)" in planned.stdout
    assert "could not be read" in planned.stderr  # the CI log says it too, not only the summary


def test_the_json_plan_carries_the_error_and_its_exit_code(bkctl: Runner, project: Path) -> None:
    assert bkctl("apply", "--auto-approve").returncode == 0
    planned = bkctl("plan", "--json", extra_env=WRONG)
    assert planned.returncode == 65
    [error] = json.loads(planned.stdout)["errors"]
    assert (error["kind"], error["target"], error["cause"], error["exit_code"]) == (
        "target-unreachable", "local", "passphrase", 65)


def test_apply_backs_up_into_the_targets_it_can_read_and_still_fails(bkctl: Runner, project: Path) -> None:
    (project / "bkctl.yaml").write_text(TWO_TARGETS)
    bkctl.env["LOCAL_PASSPHRASE"] = "local secret"
    assert bkctl("apply", "--auto-approve").returncode == 0
    applied = bkctl("apply", "--auto-approve", "--now", "+9h", extra_env=WRONG)
    assert applied.returncode == 65, applied.stdout + applied.stderr
    assert "✓ backup docs -> local" in applied.stdout
    assert "target 'offsite' could not be read" in applied.stderr
    listed = json.loads(bkctl("points", "--target", "local", "--json").stdout)["points"]
    assert len(listed) == 2


def test_status_fails_on_an_unreadable_target_with_or_without_check(bkctl: Runner, project: Path) -> None:
    assert bkctl("apply", "--auto-approve").returncode == 0
    for argv in (("status",), ("status", "--check"), ("status", "--json")):
        shown = bkctl(*argv, extra_env=WRONG)
        assert shown.returncode == 65, shown.stdout + shown.stderr
        assert "target 'local' could not be read" in shown.stderr
    row = json.loads(bkctl("status", "--json", extra_env=WRONG).stdout)["workloads"][0]
    assert (row["reachable"], row["error_code"], row["points"], row["compliant"]) == (False, 65, None, False)


def test_a_failed_init_is_one_error_not_a_second_telling_to_run_apply(bkctl: Runner, project: Path) -> None:
    (project / "occupied").write_text("a file where the repository folder should go")
    manifest = project / "bkctl.yaml"
    manifest.write_text(manifest.read_text().replace("path: repo", "path: occupied/repo"))
    applied = bkctl("apply", "--auto-approve")
    assert applied.returncode == 1, applied.stdout + applied.stderr
    assert "✗ init-target local" in applied.stdout
    assert "✗ backup docs -> local: skipped: initialising target 'local' failed" in applied.stdout
    assert "bkctl apply" not in applied.stdout + applied.stderr


def test_a_failed_action_prints_its_hint_on_a_line_of_its_own(bkctl: Runner, project: Path) -> None:
    manifest = project / "bkctl.yaml"
    manifest.write_text(manifest.read_text().split("workloads:")[0] + "workloads:\n  db:\n    type: postgres\n"
                        "    server: 127.0.0.1\n    database: test\n    policy: every-8h\n    targets: [local]\n")
    applied = bkctl("apply", "--auto-approve", extra_env={"PATH": str(project / "no-tools")})
    assert applied.returncode == 70, applied.stdout + applied.stderr
    lines = applied.stdout.splitlines()
    failure = next(n for n, line in enumerate(lines) if line.startswith("✗ backup db"))
    assert "pg_dump is not installed" in lines[failure] and "hint" not in lines[failure]
    assert lines[failure + 1].strip().startswith("hint: install")
