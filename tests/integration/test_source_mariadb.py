"""MariaDB workloads against a real server: one InnoDB snapshot under writes, restorable via --into."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import MARIADB, fresh_name, mariadb_sql, require_mariadb

from bkctl.archiver import save
from bkctl.errors import ToolMissingError
from bkctl.model import MariadbWorkload
from bkctl.repo import KdfParams, Repository
from bkctl.repo.points import PointInfo
from bkctl.restorer import restore_stream
from bkctl.secrets import Secret
from bkctl.sources.database_restore import restore_into
from bkctl.sources.environment import ChildEnvironment
from bkctl.sources.mariadb import MariadbSource, connection_of, parse_dsn
from bkctl.store import LocalStore

pytestmark = pytest.mark.mariadb

ACCOUNTS = 200
OPENING = 1000
SCHEMA = f"""
create table checking (id int primary key, balance bigint not null) engine=InnoDB;
create table savings (id int primary key, balance bigint not null) engine=InnoDB;
create table transfers (id bigint auto_increment primary key, amount bigint not null) engine=InnoDB;
insert into checking select seq, {OPENING} from seq_1_to_{ACCOUNTS};
insert into savings select seq, {OPENING} from seq_1_to_{ACCOUNTS};
create procedure churn(seconds int)
begin
  declare stop datetime(6) default now(6) + interval seconds second;
  declare amount int; declare a int; declare b int;
  while now(6) < stop do
    set amount = floor(rand() * 201) - 100, a = 1 + floor(rand() * {ACCOUNTS}), b = 1 + floor(rand() * {ACCOUNTS});
    start transaction;
    update checking set balance = balance - amount where id = a;
    update savings set balance = balance + amount where id = b;
    insert into transfers (amount) values (amount);
    commit;
  end while;
end
"""


@pytest.fixture
def database() -> Iterator[str]:
    require_mariadb()
    name = fresh_name("bkctl_src")
    mariadb_sql(None, f"create database {name}")
    yield name
    mariadb_sql(None, f"drop database if exists {name}")


@pytest.fixture
def scratch() -> Iterator[str]:
    name = fresh_name("bkctl_restored")
    mariadb_sql(None, f"create database {name}")
    yield name
    mariadb_sql(None, f"drop database if exists {name}")


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    return Repository.init(LocalStore(tmp_path / "repo"), Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "c")


def workload(database: str | None, **extra: object) -> MariadbWorkload:
    return MariadbWorkload(type="mariadb", policy="p", targets=["t"], server=MARIADB["host"],
                           port=int(MARIADB["port"]), user=MARIADB["user"], database=database, **extra)


def dsn(database: str) -> str:
    return f"mariadb://{MARIADB['user']}@{MARIADB['host']}:{MARIADB['port']}/{database}"


def back_up(repo: Repository, spec: MariadbWorkload) -> PointInfo:
    with MariadbSource(connection_of(spec)).open("db") as items:
        return save(repo, items, workload="db", host="h", compression=3)


def test_a_dump_taken_during_transfers_restores_balanced(repo: Repository, database: str, scratch: str):
    mariadb_sql(database, SCHEMA.replace("create procedure", "delimiter //\ncreate procedure") + "//")
    writer = subprocess.Popen(["mariadb", f"--host={MARIADB['host']}", f"--port={MARIADB['port']}",
                               f"--user={MARIADB['user']}", database, "-e", "call churn(3)"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while int(mariadb_sql(database, "select count(*) from transfers")) < 50:
            time.sleep(0.02)
        before = int(mariadb_sql(database, "select count(*) from transfers"))
        point = back_up(repo, workload(database))
        after = int(mariadb_sql(database, "select count(*) from transfers"))
        assert writer.poll() is None, "the writer must still be running when the dump ends"
    finally:
        _, errors = writer.communicate(timeout=30)
    assert writer.returncode == 0, errors
    assert point.paths == [f"{database}.sql"] and "--single-transaction" in point.meta["options"]
    restore_into(workload(database), dsn(scratch), lambda out: restore_stream(repo, point.id, out),
                 environment=ChildEnvironment())
    row = mariadb_sql(scratch, "select (select sum(balance) from checking), (select sum(balance) from savings), "
                               "(select coalesce(sum(amount), 0) from transfers), (select count(*) from transfers)")
    checking, savings, moved, count = (int(v) for v in row.split())
    assert checking + savings == 2 * ACCOUNTS * OPENING
    assert savings - ACCOUNTS * OPENING == moved
    assert before <= count <= after and after > before
    assert mariadb_sql(scratch, "select count(*) from information_schema.routines "
                                f"where routine_schema = '{scratch}' and routine_name = 'churn'") == "1"


def test_missing_mariadb_dump_fails_naming_the_tool(repo: Repository, database: str, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ToolMissingError, match="mariadb-dump"):
        back_up(repo, workload(database))
    assert repo.list_points() == []
    assert any("mariadb-dump" in p for p in MariadbSource(connection_of(workload(database))).problems())


def test_password_travels_in_mysql_pwd_never_argv(repo: Repository, database: str, monkeypatch):
    monkeypatch.setenv("APP_DB_PASSWORD", "hunter2-secret")
    spec = workload(database, password_env="APP_DB_PASSWORD")
    connection = connection_of(spec)
    env = connection.env(ChildEnvironment(frozenset({"APP_DB_PASSWORD"})))
    assert env["MYSQL_PWD"] == "hunter2-secret" and "APP_DB_PASSWORD" not in env
    assert not any("hunter2" in option for option in connection.options)
    assert os.environ.get("MYSQL_PWD") != "hunter2-secret"


def test_dsn_forms():
    parsed = parse_dsn("mariadb://app:p%40ss@db1:3307/shop")
    assert parsed.options == ("--host=db1", "--port=3307", "--user=app") and parsed.database == "shop"
    assert parsed.inline_password == "p@ss"
    socket = parse_dsn("mysql://root@/?socket=/run/mysqld/mysqld.sock")
    assert socket.options == ("--socket=/run/mysqld/mysqld.sock", "--user=root") and socket.database is None
