"""Application workloads through the CLI: plan/apply treat them like files; hooks and failures behave."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from cli import Runner
from servers import MARIADB, PG, fresh_name, mariadb_sql, psql, require_mariadb, require_postgres

HEAD = """\
version: 1
encryption:
  passphrase_env: BKCTL_PASSPHRASE
targets:
  local: {type: disk, path: repo}
policies:
  hourly:
    schedule: {every: 1h}
    retention: {last: 3}
workloads:
"""


def manifest(project: Path, workloads: str) -> Path:
    path = project / "bkctl.yaml"
    path.write_text(HEAD + workloads)
    return path


def apply(bkctl: Runner, *extra: str) -> subprocess.CompletedProcess[str]:
    return bkctl("apply", "-m", "bkctl.yaml", "--auto-approve", *extra)


def points(bkctl: Runner, workload: str) -> list[dict[str, object]]:
    listed = bkctl("points", "--workload", workload, "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)["points"]


def test_sqlite_is_planned_applied_and_restored_to_a_file(bkctl, tmp_path: Path):
    database = tmp_path / "app.db"
    with sqlite3.connect(database) as db:
        db.execute("create table t (v text)")
        db.executemany("insert into t values (?)", [(f"row {i}",) for i in range(500)])
    db.close()
    manifest(tmp_path, "  app:\n    type: sqlite\n    path: app.db\n    policy: hourly\n    targets: [local]\n")
    planned = bkctl("plan", "bkctl.yaml")
    assert planned.returncode == 0 and "app" in planned.stdout, planned.stderr
    applied = apply(bkctl)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert len(points(bkctl, "app")) == 1
    assert bkctl("plan", "bkctl.yaml", "--detailed-exitcode").returncode == 0  # nothing due any more
    restored = bkctl("restore", "app", "--to-file", "out.db")
    assert restored.returncode == 0, restored.stderr
    copy = sqlite3.connect(tmp_path / "out.db")
    assert copy.execute("pragma integrity_check").fetchone() == ("ok",)
    assert copy.execute("select count(*) from t").fetchone() == (500,)
    copy.close()


@pytest.mark.parametrize("command, expected", [(["sh", "-c", "echo partial; exit 3"], "status 3"),
                                               (["sleep", "30"], "timed out")], ids=["exit-3", "timeout"])
def test_a_failing_command_leaves_no_recovery_point(bkctl, tmp_path: Path, command: list[str], expected: str):
    manifest(tmp_path, f"  out:\n    type: command\n    command: {json.dumps(command)}\n    timeout: 1s\n"
                       "    policy: hourly\n    targets: [local]\n")
    applied = apply(bkctl)
    assert applied.returncode != 0 and expected in applied.stdout + applied.stderr
    assert points(bkctl, "out") == []


def test_hooks_run_around_the_backup_with_their_environment(bkctl, tmp_path: Path):
    log = tmp_path / "hooks.log"
    record = f'echo "$BKCTL_HOOK $BKCTL_WORKLOAD $BKCTL_TARGET $BKCTL_STATUS" >> {log}'
    manifest(tmp_path, f"  out:\n    type: command\n    command: [echo, hello]\n    policy: hourly\n"
                       f"    targets: [local]\n    hooks:\n      before: [[sh, -c, {json.dumps(record)}]]\n"
                       f"      after: [{json.dumps(record)}]\n")
    assert apply(bkctl).returncode == 0
    assert log.read_text().split("\n")[:2] == ["before out local ", "after out local success"]
    assert len(points(bkctl, "out")) == 1


def test_after_hook_runs_when_the_backup_fails(bkctl, tmp_path: Path):
    log = tmp_path / "hooks.log"
    manifest(tmp_path, f"  out:\n    type: command\n    command: [sh, -c, 'exit 1']\n    policy: hourly\n"
                       f"    targets: [local]\n    hooks:\n"
                       f"      after: [{json.dumps(f'echo $BKCTL_STATUS >> {log}')}]\n")
    assert apply(bkctl).returncode != 0
    assert log.read_text() == "failure\n"
    assert points(bkctl, "out") == []


def test_a_failing_before_hook_skips_the_backup(bkctl, tmp_path: Path):
    ran = tmp_path / "ran"
    manifest(tmp_path, f"  out:\n    type: command\n    command: [sh, -c, 'touch {ran}; echo x']\n"
                       "    policy: hourly\n    targets: [local]\n    hooks:\n      before: ['exit 4']\n")
    applied = apply(bkctl)
    assert applied.returncode != 0 and "before hook" in applied.stdout + applied.stderr
    assert not ran.exists() and points(bkctl, "out") == []


def test_image_compression_off_round_trips(bkctl, tmp_path: Path):
    (tmp_path / "disk.img").write_bytes(b"\0" * (1 << 20) + b"boot" * 1000)
    manifest(tmp_path, "  vm:\n    type: image\n    path: disk.img\n    compression: 'off'\n"
                       "    policy: hourly\n    targets: [local]\n")
    assert apply(bkctl).returncode == 0
    assert bkctl("restore", "vm", "--to-file", "back.img").returncode == 0
    assert (tmp_path / "back.img").read_bytes() == (tmp_path / "disk.img").read_bytes()


def test_a_missing_dump_tool_warns_at_plan_and_fails_the_backup(bkctl, tmp_path: Path):
    manifest(tmp_path, "  db:\n    type: postgres\n    server: 127.0.0.1\n    database: test\n"
                       "    policy: hourly\n    targets: [local]\n")
    without_tools = {"PATH": str(tmp_path / "no-tools")}
    planned = bkctl("plan", "bkctl.yaml", extra_env=without_tools)
    assert planned.returncode == 0 and "pg_dump is not installed" in planned.stdout
    applied = bkctl("apply", "bkctl.yaml", "--auto-approve", extra_env=without_tools)
    assert applied.returncode != 0 and "pg_dump" in applied.stdout + applied.stderr
    assert points(bkctl, "db") == []


def test_postgres_apply_then_restore_into_a_new_database(bkctl, tmp_path: Path):
    require_postgres()
    source, restored = fresh_name("bkctl_e2e"), fresh_name("bkctl_e2e_into")
    psql("postgres", f"create database {source}")
    psql("postgres", f"create database {restored}")
    try:
        psql(source, "create table t (v int); insert into t select generate_series(1, 1000)")
        manifest(tmp_path, f"  db:\n    type: postgres\n    server: {PG['host']}\n    port: {PG['port']}\n"
                           f"    user: {PG['user']}\n    database: {source}\n    policy: hourly\n"
                           "    targets: [local]\n")
        applied = apply(bkctl)
        assert applied.returncode == 0, applied.stdout + applied.stderr
        dsn = f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{restored}"
        into = bkctl("restore", "db", "--into", dsn)
        assert into.returncode == 0, into.stderr
        assert psql(restored, "select count(*), sum(v) from t") == "1000|500500"
    finally:
        psql("postgres", f"drop database if exists {source} with (force)")
        psql("postgres", f"drop database if exists {restored} with (force)")


def test_mariadb_apply_then_restore_into_a_new_database(bkctl, tmp_path: Path):
    require_mariadb()
    source, restored = fresh_name("bkctl_e2e"), fresh_name("bkctl_e2e_into")
    mariadb_sql(None, f"create database {source}")
    mariadb_sql(None, f"create database {restored}")
    try:
        mariadb_sql(source, "create table t (v int) engine=InnoDB; insert into t select seq from seq_1_to_1000")
        manifest(tmp_path, f"  db:\n    type: mariadb\n    dsn: mariadb://{MARIADB['user']}@{MARIADB['host']}:"
                           f"{MARIADB['port']}/{source}\n    policy: hourly\n    targets: [local]\n")
        applied = apply(bkctl)
        assert applied.returncode == 0, applied.stdout + applied.stderr
        dsn = f"mariadb://{MARIADB['user']}@{MARIADB['host']}:{MARIADB['port']}/{restored}"
        into = bkctl("restore", "db", "--into", dsn)
        assert into.returncode == 0, into.stderr
        assert mariadb_sql(restored, "select count(*), sum(v) from t").split() == ["1000", "500500"]
    finally:
        mariadb_sql(None, f"drop database if exists {source}")
        mariadb_sql(None, f"drop database if exists {restored}")
