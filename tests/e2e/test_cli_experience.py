"""The command line as a user meets it: JSON for scripts, quiet and verbose runs, progress
in CI logs, one way to name the manifest, saved plans from anywhere, ids that can be copied."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli import Runner


@pytest.fixture
def applied(bkctl: Runner, project: Path) -> Runner:
    result = bkctl("apply", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    return bkctl


REPORTING = [
    ("apply", "--auto-approve"),
    ("backup", "docs"),
    ("restore", "docs", "--to", "restored"),
    ("keys", "list", "--target", "local"),
    ("verify", "--read-data", "100"),
    ("status",),
    ("points",),
    ("plan",),
    ("validate",),
    ("policy", "simulate", "every-8h", "--for", "3d"),
    ("reclaim",),
    ("unlock",),
    ("repair", "index"),
    ("repair", "points"),
    ("stats",),
    ("ls", "docs"),
    ("find", "a.txt"),
]


def test_json_is_the_whole_stdout_and_carries_its_format_version(applied: Runner) -> None:
    for argv in REPORTING:  # one repository for all: each command costs an interpreter start
        result = applied(*argv, "--json")
        assert result.returncode == 0, (argv, result.stdout + result.stderr)
        assert json.loads(result.stdout)["format_version"] == 1, argv


def test_json_of_the_upkeep_commands_has_a_row_per_target_and_the_summary_goes_to_stderr(applied: Runner) -> None:
    repaired = applied("repair", "index", "--json")
    [row] = json.loads(repaired.stdout)["targets"]
    assert row["target"] == "local" and row["packs_indexed"] >= 1 and row["unreadable_packs"] == []
    assert "✓ target local: index rebuilt from" in repaired.stderr
    [row] = json.loads(applied("reclaim", "--now", "--json").stdout)["targets"]
    assert row["target"] == "local" and row["bytes_freed"] == 0 and row["packs_deleted"] == 0
    [row] = json.loads(applied("unlock", "--json").stdout)["targets"]
    assert row == {"target": "local", "removed": []}


def test_json_of_a_backup_names_the_point_and_the_summary_goes_to_stderr(applied: Runner) -> None:
    result = applied("backup", "docs", "--json")
    document = json.loads(result.stdout)
    [point] = document["points"]
    assert point["workload"] == "docs" and point["target"] == "local" and document["exit_code"] == 0
    assert document["summary"]["files"] == 2 and document["summary"]["bytes"] == point["bytes"] > 0
    assert "Backup complete: 1 action done; 2 files" in result.stderr


def test_quiet_prints_only_the_summary_line(bkctl: Runner, project: Path) -> None:
    result = bkctl("-q", "apply", "--auto-approve")
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"Apply complete: 2 actions done; 2 files \(16\.6 KiB\) backed up, .* new in the "
                        r"targets; [0-9.]+ s\.\n", result.stdout), result.stdout
    assert result.stderr == ""
    again = bkctl("backup", "docs", "--quiet")  # a global option after the command works too
    assert again.stdout.count("\n") == 1 and again.stdout.startswith("Backup complete") and again.stderr == ""


def test_verbose_lists_each_file(applied: Runner) -> None:
    result = applied("-v", "backup", "docs")
    assert result.returncode == 0
    assert re.search(r"^  \S*data/a\.txt$", result.stderr, re.MULTILINE), result.stderr
    assert re.search(r"^  \S*data/sub/b\.bin$", result.stderr, re.MULTILINE)
    assert "bkctl: DEBUG: counted 2 files (16984 bytes) to back up" in result.stderr  # the debug log
    assert "DEBUG" not in applied("backup", "docs").stderr


def test_a_run_off_a_terminal_prints_progress_lines_while_it_works(bkctl: Runner, project: Path) -> None:
    (project / "bkctl.yaml").write_text((project / "bkctl.yaml").read_text() + """\
  slow:
    type: command
    command: [sh, -c, 'sleep 1.5; echo done']
    policy: every-8h
    targets: [local]
""")
    result = bkctl("backup", "slow", extra_env={"BKCTL_PROGRESS_INTERVAL": "0.2"})
    assert result.returncode == 0, result.stderr
    lines = re.findall(r"^backup slow -> local: \d+ files, [0-9.]+ (?:B|KiB|MiB), [0-9.]+ (?:B|KiB|MiB)/s",
                       result.stderr, re.MULTILINE)
    assert len(lines) >= 3, result.stderr


def test_a_backup_off_a_terminal_shows_no_progress_line_before_the_interval(applied: Runner) -> None:
    assert "files," not in applied("backup", "docs").stderr  # the default interval is 10 s


def test_the_manifest_comes_from_m_then_the_argument_then_the_environment(applied: Runner, project: Path,
                                                                          tmp_path: Path) -> None:
    elsewhere = Runner(tmp_path / "home", applied.env)
    other = tmp_path / "other.yaml"
    other.write_text((project / "bkctl.yaml").read_text().replace("docs:", "notes:"))
    environment = {"BKCTL_MANIFEST": str(project / "bkctl.yaml")}
    assert json.loads(elsewhere("points", "--json", extra_env=environment).stdout)["points"]
    planned = elsewhere("plan", str(other), "--json", extra_env=environment)  # the argument beats the variable
    assert [a["workload"] for a in json.loads(planned.stdout)["actions"]] == ["notes"]
    chosen = elsewhere("plan", str(other), "-m", str(project / "bkctl.yaml"), "--json")  # -m beats the argument
    assert json.loads(chosen.stdout)["actions"] == []
    missing = elsewhere("status", extra_env={"BKCTL_MANIFEST": str(tmp_path / "gone.yaml")})
    assert missing.returncode == 66 and "from BKCTL_MANIFEST" in missing.stderr


def test_a_saved_plan_applies_from_any_directory(bkctl: Runner, project: Path, tmp_path: Path) -> None:
    assert bkctl("plan", "--out", "plan.json").returncode == 0
    assert json.loads((project / "plan.json").read_text())["manifest"] == str(project / "bkctl.yaml")
    elsewhere = Runner(tmp_path / "home", bkctl.env)
    applied = elsewhere("apply", str(project / "plan.json"))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete: 2 actions done" in applied.stdout


def test_a_saved_plan_whose_manifest_moved_names_it_and_m(bkctl: Runner, project: Path) -> None:
    assert bkctl("plan", "--out", "plan.json").returncode == 0
    (project / "bkctl.yaml").rename(project / "moved.yaml")
    refused = bkctl("apply", "plan.json")
    assert refused.returncode == 66
    assert f"{project / 'bkctl.yaml'}, which no longer exists" in refused.stderr and "-m PATH" in refused.stderr
    assert bkctl("apply", "plan.json", "-m", "moved.yaml").returncode == 0


def test_the_short_id_points_shows_is_what_restore_takes(applied: Runner, project: Path) -> None:
    listed = applied("points", extra_env={"COLUMNS": "80"})
    [short] = re.findall(r"^│ ([0-9a-f]{8}) │", listed.stdout, re.MULTILINE)
    assert all(len(line) <= 80 for line in listed.stdout.splitlines())
    restored = applied("restore", "docs", "--point", short, "--to", "out")
    assert restored.returncode == 0 and f"from point {short}" in restored.stdout


def test_json_and_a_stream_to_stdout_cannot_share_it(applied: Runner) -> None:
    refused = applied("restore", "docs", "--to-file", "-", "--json")
    assert refused.returncode == 64 and "standard output" in refused.stderr
