"""On-demand backup, points, restore, verify and keys through the CLI (issue #3's surface)."""

from __future__ import annotations

import json
import os


def test_backup_restore_round_trip_with_metadata(bkctl, project):
    os.chmod(project / "data" / "a.txt", 0o640)
    os.utime(project / "data" / "a.txt", ns=(1_600_000_000_123_456_789, 1_600_000_000_123_456_789))
    assert bkctl("backup", "docs").returncode == 0
    restored = bkctl("restore", "docs", "--to", "out")
    assert restored.returncode == 0, restored.stderr
    copy = project / "out" / str(project / "data").lstrip("/") / "a.txt"
    assert copy.read_text() == "alpha\n" * 100
    stat = copy.stat()
    assert stat.st_mode & 0o777 == 0o640 and stat.st_mtime_ns == 1_600_000_000_123_456_789


def test_restore_never_overwrites_unless_asked(bkctl, project):
    assert bkctl("backup", "docs").returncode == 0
    assert bkctl("restore", "docs", "--to", "out").returncode == 0
    target = project / "out" / str(project / "data").lstrip("/") / "a.txt"
    target.write_text("changed")
    again = bkctl("restore", "docs", "--to", "out")
    assert again.returncode != 0 and "--overwrite" in again.stderr
    assert target.read_text() == "changed"
    assert bkctl("restore", "docs", "--to", "out", "--overwrite").returncode == 0
    assert target.read_text() == "alpha\n" * 100


def test_restore_by_point_and_at_time(bkctl, project):
    assert bkctl("backup", "docs").returncode == 0
    (project / "data" / "a.txt").write_text("second version\n")
    assert bkctl("backup", "docs").returncode == 0
    points = json.loads(bkctl("points", "--workload", "docs", "--json").stdout)["points"]
    assert len(points) == 2
    first = points[0]["id"][:10]
    assert bkctl("restore", "docs", "--point", first, "--to", "one").returncode == 0
    restored = project / "one" / str(project / "data").lstrip("/") / "a.txt"
    assert restored.read_text() == "alpha\n" * 100
    assert bkctl("restore", "docs", "--at", points[0]["time"], "--to", "two").returncode == 0
    assert (project / "two" / str(project / "data").lstrip("/") / "a.txt").read_text() == "alpha\n" * 100


def test_verify_passes_then_names_damage(bkctl, project):
    assert bkctl("backup", "docs").returncode == 0
    assert bkctl("verify", "--read-data", "100").returncode == 0
    pack = max((p for p in (project / "repo" / "data").rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    raw = bytearray(pack.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    pack.write_bytes(bytes(raw))
    damaged = bkctl("verify", "--read-data", "100")
    assert damaged.returncode == 67
    assert "damaged" in damaged.stdout


def test_wrong_passphrase_is_exit_65_without_revealing_it(bkctl, project):
    assert bkctl("backup", "docs").returncode == 0
    result = bkctl("points", extra_env={"BKCTL_PASSPHRASE": "not the right one"})
    assert result.returncode == 65 and "wrong passphrase" in result.stderr
    assert "not the right one" not in result.stderr + result.stdout


def test_missing_passphrase_variable_is_named(bkctl, project):
    result = bkctl("backup", "docs", extra_env={"BKCTL_PASSPHRASE": ""})
    assert result.returncode != 0 and "BKCTL_PASSPHRASE" in (result.stdout + result.stderr)


def test_keys_add_list_and_open_with_the_new_one(bkctl, project):
    assert bkctl("backup", "docs").returncode == 0
    added = bkctl("keys", "add", "--target", "local", "--new-passphrase-env", "SECOND",
                  extra_env={"SECOND": "second passphrase"})
    assert added.returncode == 0, added.stderr
    key_id = added.stdout.split()[-1]
    listing = bkctl("keys", "list", "--target", "local")
    assert key_id in listing.stdout and listing.stdout.count("*") == 1
    with_second = bkctl("points", "--json", extra_env={"BKCTL_PASSPHRASE": "second passphrase"})
    assert with_second.returncode == 0 and len(json.loads(with_second.stdout)["points"]) == 1


def test_command_workload_failure_leaves_no_point(bkctl, project):
    manifest = project / "bkctl.yaml"
    manifest.write_text(manifest.read_text() + """\
  failing:
    type: command
    command: [sh, -c, "echo partial; exit 3"]
    policy: every-8h
    targets: [local]
  working:
    type: command
    command: [sh, -c, "echo hello"]
    policy: every-8h
    targets: [local]
""")
    result = bkctl("apply", "--auto-approve")
    assert result.returncode == 1
    assert "exited with status 3" in result.stdout
    workloads = sorted(p["workload"] for p in json.loads(bkctl("points", "--json").stdout)["points"])
    assert workloads == ["docs", "working"]
    out = bkctl("restore", "working", "--to-file", "-")
    assert out.stdout == "hello\n"


def test_restore_into_an_impossible_folder_is_a_message_not_a_traceback(bkctl, project):
    assert bkctl("backup", "docs").returncode == 0
    (project / "blocker").write_text("a file, not a folder")
    result = bkctl("restore", "docs", "--to", "blocker/sub")
    assert result.returncode == 1
    assert "Not a directory" in result.stderr and "Internal error" not in result.stderr


def test_a_missing_source_path_fails_that_backup_only(bkctl, project):
    manifest = project / "bkctl.yaml"
    manifest.write_text(manifest.read_text() + """\
  gone:
    type: files
    paths: [no-such-folder]
    policy: every-8h
    targets: [local]
""")
    result = bkctl("apply", "--auto-approve")
    assert result.returncode == 66  # the failed backup's own code: not found
    assert "Warning [source-missing]" in result.stdout  # the plan shown before apply said so
    assert "path does not exist" in result.stdout and "no-such-folder" in result.stdout
    assert [p["workload"] for p in json.loads(bkctl("points", "--json").stdout)["points"]] == ["docs"]


def test_a_target_under_a_file_fails_init_naming_the_path(bkctl, project):
    (project / "plainfile").write_text("x")
    manifest = project / "bkctl.yaml"
    manifest.write_text(manifest.read_text().replace("path: repo", "path: plainfile/repo"))
    result = bkctl("apply", "--auto-approve")
    assert result.returncode == 1
    assert "plainfile/repo" in result.stdout and "Not a directory" in result.stdout


def test_garbage_plan_file_is_rejected_clearly(bkctl, project):
    (project / "p.json").write_text("{not json")
    result = bkctl("apply", "p.json")
    assert result.returncode == 1 and "not a JSON plan" in result.stderr


def test_a_failed_stream_restore_leaves_no_partial_file(bkctl, project):
    manifest = project / "bkctl.yaml"
    manifest.write_text(manifest.read_text() + """\
  dump:
    type: command
    command: [head, -c, "3000000", /dev/urandom]
    policy: every-8h
    targets: [local]
""")
    assert bkctl("backup", "dump").returncode == 0
    for pack in (p for p in (project / "repo" / "data").rglob("*") if p.is_file()):
        raw = bytearray(pack.read_bytes())
        raw[len(raw) // 3] ^= 0xFF
        pack.write_bytes(bytes(raw))
    result = bkctl("restore", "dump", "--to-file", "dump.bin")
    assert result.returncode == 67, result.stdout + result.stderr
    assert not (project / "dump.bin").exists()
    assert [p.name for p in project.iterdir() if "partial" in p.name] == []
