"""Restore drills end to end: a files, a sqlite and a postgres workload each record a measured RTO.

The drill restores into scratch space (a temporary folder, a temporary file, a temporary
database created and dropped with the real tools), checks what it restored, and the run
record in the target keeps the time. ``status`` reads it back; ``status --check`` fails
once the measured time exceeds the objective.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from cli import Runner
from servers import PG, fresh_name, psql, require_postgres

MANIFEST = """\
version: 1
encryption:
  passphrase_env: BKCTL_PASSPHRASE
targets:
  local: {{type: disk, path: repo}}
policies:
  drilled:
    schedule: {{every: 8h}}
    retention: {{last: 3}}
    drill: {{every: 30d, rto: {rto}}}
workloads:
  docs: {{type: files, paths: [data], policy: drilled, targets: [local]}}
  app: {{type: sqlite, path: app.db, policy: drilled, targets: [local]}}
  db:
    type: postgres
    server: {host}
    port: {port}
    user: {user}
    database: {database}
    policy: drilled
    targets: [local]
"""
ROWS = 20_000
"""Rows of the drilled table, counted back by the drill."""
PACED_ROWS = 6
"""Rows of a table whose check constraint sleeps 0.25 s per row: loading it during the drill's
restore takes at least 1.5 s on any machine, so a 1s objective is really breached by the
measurement (a large table alone was not slow enough on a fast machine)."""


def write_manifest(project: Path, database: str, rto: str) -> None:
    (project / "bkctl.yaml").write_text(MANIFEST.format(rto=rto, database=database, **PG))


def make_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("create table notes (id integer primary key, body text)")
        connection.executemany("insert into notes (body) values (?)", [(f"note {n}",) for n in range(500)])


def status(bkctl: Runner) -> dict[str, dict[str, object]]:
    rows = json.loads(bkctl("status", "--json").stdout)["workloads"]
    return {row["workload"]: row for row in rows}


def test_drills_of_files_sqlite_and_postgres_record_their_rto_and_a_breach_fails_status_check(
        bkctl: Runner, project: Path) -> None:
    require_postgres()
    database = fresh_name("bkctl_e2e_drilled")
    psql("postgres", f"create database {database}")
    try:
        psql(database, f"create table items (id int primary key, label text); "
                       f"insert into items select n, 'item ' || n from generate_series(1, {ROWS}) n; "
                       "create table empty_one (v int); "
                       "create table paced (v int check (pg_sleep(0.25) is not null)); "
                       f"insert into paced select n from generate_series(1, {PACED_ROWS}) n")
        make_sqlite(project / "app.db")
        write_manifest(project, database, "1h")
        assert bkctl("apply", "--auto-approve").returncode == 0
        planned = json.loads(bkctl("plan", "--json").stdout)
        drills = [(a["workload"], a["reason"]) for a in planned["actions"] if a["kind"] == "drill"]
        assert drills == [("app", "drill-due"), ("db", "drill-due"), ("docs", "drill-due")]
        applied = bkctl("apply", "--auto-approve")
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert f"public.items: {ROWS} rows" in applied.stdout
        assert f"3 tables, {ROWS + PACED_ROWS} rows" in applied.stdout
        assert "PRAGMA integrity_check: ok" in applied.stdout
        assert "entries compared with the point's tree" in applied.stdout
        rows = status(bkctl)
        for name in ("docs", "app", "db"):
            assert rows[name]["drill_ok"] is True and rows[name]["drill_seconds"] > 0, rows[name]
            assert rows[name]["drill_objective_seconds"] == 3600
        assert psql("postgres", "select count(*) from pg_database where datname like 'bkctl_drill_%'") == "0"
        assert bkctl("status", "--check").returncode == 0
        assert bkctl("plan", "--detailed-exitcode").returncode == 0  # drilled: nothing due for 30 days
        assert rows["db"]["drill_seconds"] >= 1.5, "the paced table did not slow the restore down"
        write_manifest(project, database, "1s")
        checked = bkctl("status", "--check")
        assert checked.returncode == 1, checked.stdout + checked.stderr
        assert status(bkctl)["db"]["drill_breached"] is True
        warnings = json.loads(bkctl("plan", "--json").stdout)["warnings"]
        assert any(w["kind"] == "drill-rto-breach" and w["workload"] == "db" for w in warnings)
        prometheus = bkctl("status", "--format", "prometheus").stdout
        assert 'bkctl_drill_seconds{workload="db",target="local"' in prometheus
        assert "bkctl_drill_timestamp_seconds{" in prometheus
    finally:
        psql("postgres", f"drop database if exists {database}")


def test_bkctl_drill_runs_one_on_demand_and_records_it_without_an_objective(
        bkctl: Runner, project: Path) -> None:
    assert bkctl("backup", "docs").returncode == 0
    drilled = bkctl("drill", "docs")
    assert drilled.returncode == 0, drilled.stdout + drilled.stderr
    assert "restored and checked" in drilled.stdout
    rows = json.loads(bkctl("status", "--json").stdout)["workloads"]
    assert rows[0]["drill_ok"] is True and rows[0]["drill_objective_seconds"] is None
    missing = bkctl("drill", "nothing")
    assert missing.returncode == 66
