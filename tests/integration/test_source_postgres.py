"""PostgreSQL workloads against a real server: consistent under writes, restorable, tools checked."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import PG, fresh_name, pg_conninfo, psql, require_postgres

from bkctl.archiver import save
from bkctl.errors import ToolMissingError
from bkctl.model import PostgresWorkload
from bkctl.repo import KdfParams, Repository
from bkctl.repo.points import PointInfo
from bkctl.restorer import restore_stream
from bkctl.secrets import Secret
from bkctl.sources.command import CommandFailedError
from bkctl.sources.database_restore import restore_into
from bkctl.sources.environment import ChildEnvironment
from bkctl.sources.postgres import PostgresSource, connection_of, split_password
from bkctl.store import LocalStore

pytestmark = pytest.mark.postgres

ACCOUNTS = 200
OPENING = 1000
SCHEMA = f"""
create table checking (id int primary key, balance bigint not null);
create table savings (id int primary key, balance bigint not null);
create table transfers (id bigserial primary key, amount bigint not null);
insert into checking select g, {OPENING} from generate_series(1, {ACCOUNTS}) g;
insert into savings select g, {OPENING} from generate_series(1, {ACCOUNTS}) g;
"""
# Each transaction moves money from a checking account to a savings account (or back) and
# logs it: a dump that read the tables at different moments would not balance.
CHURN = f"""
do $$
declare stop timestamptz := clock_timestamp() + interval '%s seconds'; amount int; a int; b int;
begin
  while clock_timestamp() < stop loop
    amount := floor(random() * 201) - 100; a := 1 + floor(random() * {ACCOUNTS}); b := 1 + floor(random() * {ACCOUNTS});
    update checking set balance = balance - amount where id = a;
    perform pg_sleep(0.0005);
    update savings set balance = balance + amount where id = b;
    insert into transfers (amount) values (amount);
    commit;
  end loop;
end $$;
"""


@pytest.fixture
def database() -> Iterator[str]:
    require_postgres()
    names = [fresh_name("bkctl_src")]
    psql("postgres", f"create database {names[0]}")
    yield names[0]
    for name in names:
        psql("postgres", f"drop database if exists {name} with (force)")


@pytest.fixture
def scratch() -> Iterator[str]:
    name = fresh_name("bkctl_restored")
    psql("postgres", f"create database {name}")
    yield name
    psql("postgres", f"drop database if exists {name} with (force)")


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    return Repository.init(LocalStore(tmp_path / "repo"), Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "c")


def workload(database: str | None, **extra: object) -> PostgresWorkload:
    return PostgresWorkload(type="postgres", policy="p", targets=["t"], server=PG["host"], port=int(PG["port"]),
                            user=PG["user"], database=database, **extra)


def back_up(repo: Repository, spec: PostgresWorkload) -> PointInfo:
    source = PostgresSource(connection_of(spec), spec.globals)
    with source.open("db") as items:
        return save(repo, items, workload="db", host="h", compression=3)


def balances(database: str) -> tuple[int, int, int, int]:
    row = psql(database, "select (select sum(balance) from checking), (select sum(balance) from savings), "
                         "(select coalesce(sum(amount), 0) from transfers), (select count(*) from transfers)")
    return tuple(int(v) for v in row.split("|"))  # type: ignore[return-value]


def test_a_dump_taken_during_transfers_restores_balanced(repo: Repository, database: str, scratch: str):
    psql(database, SCHEMA)
    writer = subprocess.Popen(["psql", "-X", "-q", f"--dbname={pg_conninfo(database)}", "-c", CHURN % 3],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while int(psql(database, "select count(*) from transfers")) < 50:
            time.sleep(0.02)
        before = int(psql(database, "select count(*) from transfers"))
        point = back_up(repo, workload(database))
        after = int(psql(database, "select count(*) from transfers"))
        assert writer.poll() is None, "the writer must still be running when the dump ends"
    finally:
        _, errors = writer.communicate(timeout=30)
    assert writer.returncode == 0, errors
    assert point.paths == [f"{database}.dump"] and point.meta["format"] == "pg_dump-custom"
    assert point.meta["tool_version"].startswith("pg_dump (PostgreSQL)")
    restore_into(workload(database), pg_conninfo(scratch), lambda out: restore_stream(repo, point.id, out),
                 environment=ChildEnvironment())
    checking, savings, moved, count = balances(scratch)
    assert checking + savings == 2 * ACCOUNTS * OPENING
    assert savings - ACCOUNTS * OPENING == moved
    assert before <= count <= after and after > before


def test_globals_make_one_plain_script_with_roles_that_psql_restores(repo: Repository, database: str,
                                                                       scratch: str):
    psql(database, "create table t (v text); insert into t values ('kept')")
    point = back_up(repo, workload(database, globals=True))
    assert point.paths == [f"{database}.sql"] and point.meta["format"] == "globals+pg_dump-plain"
    restore_into(workload(database), pg_conninfo(scratch), lambda out: restore_stream(repo, point.id, out),
                 environment=ChildEnvironment())
    assert psql(scratch, "select v from t") == "kept"


def test_all_databases_dump_through_pg_dumpall(repo: Repository, database: str, tmp_path: Path):
    psql(database, "create table marker_for_all (v int)")
    point = back_up(repo, workload(None))
    assert point.paths == ["all-databases.sql"] and point.meta["database"] == "*"
    with (tmp_path / "all.sql").open("wb") as out:
        restore_stream(repo, point.id, out)
    text = (tmp_path / "all.sql").read_text()
    assert "marker_for_all" in text and "CREATE ROLE" in text


def test_missing_pg_dump_fails_naming_the_tool_and_commits_nothing(repo: Repository, database: str,
                                                                   monkeypatch, tmp_path: Path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ToolMissingError, match="pg_dump"):
        back_up(repo, workload(database))
    assert repo.list_points() == []
    assert any("pg_dump" in p for p in PostgresSource(connection_of(workload(database))).problems())


def test_pg_dump_older_than_the_server_is_refused(repo: Repository, database: str, monkeypatch, tmp_path: Path):
    tools = tmp_path / "bin"
    tools.mkdir()
    fake = tools / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    fake.chmod(0o755)
    (tools / "psql").symlink_to(subprocess.check_output(["sh", "-c", "command -v psql"], text=True).strip())
    monkeypatch.setenv("PATH", str(tools))
    with pytest.raises(ToolMissingError, match=r"pg_dump 9 cannot dump a PostgreSQL 1\d server"):
        back_up(repo, workload(database))
    assert repo.list_points() == []


def test_password_reaches_pg_dump_by_environment_only(repo: Repository, database: str, monkeypatch):
    monkeypatch.setenv("APP_DB_PASSWORD", "hunter2-secret")
    spec = workload(database, password_env="APP_DB_PASSWORD")
    point = back_up(repo, spec)
    assert "hunter2-secret" not in repr(point.meta)
    env = connection_of(spec).env(ChildEnvironment(frozenset({"APP_DB_PASSWORD"})))
    assert env["PGPASSWORD"] == "hunter2-secret" and "APP_DB_PASSWORD" not in env
    missing = workload("no_such_database_here", password_env="APP_DB_PASSWORD")
    with pytest.raises(CommandFailedError) as failed:
        back_up(repo, missing)
    assert "hunter2-secret" not in str(failed.value)
    assert len(repo.list_points()) == 1


def test_a_password_in_the_dsn_is_moved_out_of_argv():
    assert split_password("postgresql://app:pa%40ss@db1:5432/app") == ("postgresql://app@db1:5432/app", "pa@ss")
    assert split_password("host=db1 password='x y' dbname=app") == ("host=db1 dbname=app", "x y")
    spec = PostgresWorkload(type="postgres", policy="p", targets=["t"], dsn="postgresql://app:pw@db1/app",
                            database="other")
    connection = connection_of(spec)
    assert connection.conninfo == "postgresql://app@db1/other" and connection.database == "other"
    assert connection.inline_password == "pw" and os.environ.get("PGPASSWORD") != "pw"
