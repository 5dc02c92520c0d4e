"""A temporary database on the workload's own server, for restore drills.

A drill loads a postgres or mariadb point into a database created for it, counts the rows
of every table, and drops it again, always (in ``finally``), with the real client tools:
``createdb``/``dropdb`` and ``psql`` for PostgreSQL, the ``mariadb`` client for MariaDB.
Its name is ``bkctl_drill_`` and 12 random hex digits, so it never meets a real one.
Only single-database workloads can be drilled this way: an all-databases dump recreates
and switches between the server's real databases (MariaDB's ``USE``), which a drill must
never touch.
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from bkctl.errors import BkctlError, UsageError
from bkctl.model import MariadbWorkload, PostgresWorkload
from bkctl.sources import mariadb, postgres
from bkctl.sources.environment import ChildEnvironment
from bkctl.sources.tools import find_tool

__all__ = ["ScratchDatabase", "ScratchDatabaseError", "scratch_database"]

TIMEOUT_SECONDS = 600


class ScratchDatabaseError(BkctlError):
    reference = "scratch-database-failed"


@dataclass(frozen=True)
class ScratchDatabase:
    """Where the drill restores (``dsn``, no password in it) and how to count its rows."""

    name: str
    dsn: str
    argv: tuple[str, ...]  # the SQL client with its connection options, database included
    env: dict[str, str]

    def sql(self, statement: str) -> list[str]:
        """Run one statement; the rows, tab-separated, unaligned."""
        return _run([*self.argv, "-c" if "psql" in self.argv[0] else "-e", statement], self.env).splitlines()

    def row_counts(self) -> dict[str, int]:
        """Rows per table (``schema.table``), counted with ``count(*)``: every table is read."""
        postgres_client = "psql" in self.argv[0]
        where = ("table_schema not in ('pg_catalog', 'information_schema')" if postgres_client
                 else f"table_schema = '{self.name}'")
        tables = [t for t in self.sql("select table_schema, table_name from information_schema.tables "
                                      f"where table_type = 'BASE TABLE' and {where} order by 1, 2") if t]
        if not tables:
            return {}
        quote = '"' if postgres_client else "`"
        parts = []
        for line in tables:
            schema, table = line.split("\t", 1)
            label = f"{schema}.{table}".replace("'", "''")
            parts.append(f"select '{label}', count(*) from {quote}{schema}{quote}.{quote}{table}{quote}")
        rows = [line.split("\t") for line in self.sql(" union all ".join(parts))]
        return {name: int(count) for name, count in rows}


@contextmanager
def scratch_database(spec: object, environment: ChildEnvironment) -> Iterator[ScratchDatabase]:
    """A fresh empty database, dropped when the block ends (even when it fails)."""
    if not isinstance(spec, PostgresWorkload | MariadbWorkload):
        raise UsageError("only postgres and mariadb workloads restore into a scratch database")
    if spec.database is None and not _dsn_database(spec):
        raise UsageError("drills of all-databases dumps are not supported (they would replay into the real "
                         "databases)", hint="give the workload a 'database' to drill it")
    name = f"bkctl_drill_{secrets.token_hex(6)}"
    if isinstance(spec, PostgresWorkload):
        with _postgres(spec, name, environment) as database:
            yield database
    else:
        with _mariadb(spec, name, environment) as database:
            yield database


def _dsn_database(spec: PostgresWorkload | MariadbWorkload) -> str | None:
    if isinstance(spec, PostgresWorkload):
        return postgres.connection_of(spec).database
    return mariadb.connection_of(spec).database


@contextmanager
def _postgres(spec: PostgresWorkload, name: str, environment: ChildEnvironment) -> Iterator[ScratchDatabase]:
    connection = postgres.connection_of(spec)
    env = connection.env(environment)
    admin = _postgres_conninfo(connection.conninfo, "postgres")
    tools = {tool: find_tool(tool, package_hint=postgres.PACKAGE).path for tool in ("createdb", "dropdb", "psql")}
    _run([tools["createdb"], f"--maintenance-db={admin}", name], env)
    try:
        dsn = _postgres_conninfo(connection.conninfo, name)
        yield ScratchDatabase(name, dsn, (tools["psql"], "-X", "-tA", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                                          f"--dbname={dsn}"), env)
    finally:
        _run([tools["dropdb"], f"--maintenance-db={admin}", "--if-exists", "--force", name], env)


def _postgres_conninfo(conninfo: str, database: str) -> str:
    if "://" in conninfo:
        return urlunsplit(urlsplit(conninfo)._replace(path="/" + database))
    return f"{conninfo} dbname='{database}'".strip()


@contextmanager
def _mariadb(spec: MariadbWorkload, name: str, environment: ChildEnvironment) -> Iterator[ScratchDatabase]:
    connection = mariadb.connection_of(spec)
    env = connection.env(environment)
    client = find_tool("mariadb", "mysql", package_hint=mariadb.PACKAGE).path
    base = [client, *connection.options, "--batch", "--skip-column-names"]
    _run([*base, "-e", f"CREATE DATABASE `{name}`"], env)
    try:
        yield ScratchDatabase(name, _mariadb_dsn(connection.options, name), (*base, name), env)
    finally:
        _run([*base, "-e", f"DROP DATABASE IF EXISTS `{name}`"], env)


def _mariadb_dsn(options: tuple[str, ...], database: str) -> str:
    """A ``mariadb://`` DSN naming the scratch database, from the workload's client options."""
    values = dict(option.removeprefix("--").split("=", 1) for option in options)
    user = f"{values['user']}@" if "user" in values else ""
    port = f":{values['port']}" if "port" in values else ""
    socket = f"?socket={values['socket']}" if "socket" in values else ""
    return f"mariadb://{user}{values.get('host', 'localhost')}{port}/{database}{socket}"


def _run(argv: list[str], env: dict[str, str]) -> str:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=TIMEOUT_SECONDS,
                                check=False)
    except subprocess.TimeoutExpired:
        raise ScratchDatabaseError(f"{argv[0].rsplit('/', 1)[-1]} did not finish in {TIMEOUT_SECONDS}s") from None
    if result.returncode != 0:
        tail = result.stderr.strip().splitlines()[-1:] or [f"exit status {result.returncode}"]
        raise ScratchDatabaseError(f"{argv[0].rsplit('/', 1)[-1]}: {tail[0]}")
    return result.stdout.strip()
