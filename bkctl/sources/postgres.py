"""PostgreSQL workloads: pg_dump streamed straight into the repository, never staged on disk.

What one recovery point holds (one item, restorable with ``--to-file`` or ``--into DSN``):

- one database, ``globals: false``: ``pg_dump --format=custom`` (item ``DB.dump``), which
  pg_restore can restore selectively and in parallel;
- one database, ``globals: true``: one plain SQL script (item ``DB.sql``) made of
  ``pg_dumpall --globals-only`` (roles, tablespaces) followed by ``pg_dump --format=plain``.
  A point is one stream, and a custom archive cannot carry the globals, so we trade the
  custom format for having roles and data in the same point (a second point per run
  would double-count against ``last: N`` retention);
- all databases (``database`` absent and none in the DSN): ``pg_dumpall`` (item
  ``all-databases.sql``), which always includes the globals.

pg_dump takes one repeatable-read snapshot per database, so a point is consistent while
writers keep writing. The password goes through ``PGPASSWORD`` only (see tools.child_env).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

from bkctl.errors import BkctlError, ToolMissingError
from bkctl.model import PostgresWorkload
from bkctl.sources.base import Facts, Items, StreamItem
from bkctl.sources.command import CommandSource
from bkctl.sources.environment import ChildEnvironment
from bkctl.sources.tools import (
    DUMP_TIMEOUT_SECONDS,
    Tool,
    child_env,
    find_tool,
    item_name,
    major_of,
    probe,
    tool_version,
)

__all__ = ["PostgresConnection", "PostgresSource", "connection_of", "split_password"]

PACKAGE = "the PostgreSQL client tools (e.g. apt install postgresql-client)"


def split_password(dsn: str) -> tuple[str, str | None]:
    """A DSN without its password, and the password, so it never reaches argv or a message."""
    if "://" in dsn:
        parts = urlsplit(dsn)
        if parts.password is None:
            return dsn, None
        netloc = parts.netloc.rsplit("@", 1)
        user = netloc[0].split(":", 1)[0]
        return urlunsplit(parts._replace(netloc=f"{user}@{netloc[1]}")), unquote(parts.password)
    match = re.search(r"(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", dsn)
    if not match:
        return dsn, None
    value = match.group(1).strip("'")
    return (dsn[: match.start()] + dsn[match.end():]).strip(), value


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class PostgresConnection:
    """Where to connect: a libpq connection string without password, and the database (None = all)."""

    conninfo: str
    database: str | None
    password_env: str | None = None
    inline_password: str | None = None

    def env(self, environment: ChildEnvironment) -> dict[str, str]:
        """The tools' environment: ``environment``'s scrub of ours plus the password."""
        return child_env(variable="PGPASSWORD", password_env=self.password_env,
                         inline_password=self.inline_password, environment=environment,
                         extra={"PGAPPNAME": "bkctl", "PGCONNECT_TIMEOUT": "10"})


def connection_of(spec: PostgresWorkload) -> PostgresConnection:
    """The connection a workload describes; ``database`` overrides the DSN's own database."""
    if spec.dsn:
        dsn, password = split_password(spec.dsn)
        database = spec.database
        if "://" in dsn:
            parts = urlsplit(dsn)
            database = database or (unquote(parts.path.lstrip("/")) or None)
            if spec.database:
                dsn = urlunsplit(parts._replace(path="/" + spec.database))
        else:
            named = re.search(r"(?:^|\s)dbname\s*=\s*(\S+)", dsn)
            database = database or (named.group(1).strip("'") if named else None)
            if spec.database:
                dsn = f"{dsn} dbname={_quote(spec.database)}"
        return PostgresConnection(dsn, database, spec.password_env, password)
    words = {"host": spec.server, "port": str(spec.port) if spec.port else None, "user": spec.user,
             "dbname": spec.database}
    conninfo = " ".join(f"{key}={_quote(value)}" for key, value in words.items() if value)
    return PostgresConnection(conninfo, spec.database, spec.password_env)


@dataclass(frozen=True)
class PostgresSource:
    """Dumps one database (or all) of a PostgreSQL server into one stream recovery point."""

    connection: PostgresConnection
    globals: bool = False
    timeout_seconds: float = DUMP_TIMEOUT_SECONDS
    kind: str = "postgres"
    environment: ChildEnvironment = field(default_factory=ChildEnvironment)

    @contextmanager
    def open(self, workload: str) -> Iterator[Items]:
        """The dump as one stream; ToolMissingError or CommandFailedError commit nothing."""
        env = self.connection.env(self.environment)
        version = self.check_tools(env)
        argv, name, layout = self._command()
        facts: Facts = {"tool_version": version, "format": layout, "database": self.connection.database or "*",
                 "globals": self.globals or self.connection.database is None}
        source = CommandSource(tuple(argv), self.timeout_seconds, name, env=env)
        with source.output(workload) as output:
            yield StreamItem(output.name, output.stream, {**facts, **output.facts})

    def check_tools(self, env: dict[str, str], *, unreachable_is_error: bool = False) -> str:
        """pg_dump's version line; ToolMissingError when it is absent or older than the server.

        A server that does not answer the version probe is left for pg_dump to report at
        backup time (its message is the better one); plan asks for the RuntimeError instead.
        """
        dump = find_tool("pg_dump", package_hint=PACKAGE)
        version = tool_version(dump, env)
        try:
            server = self.server_major(env)
        except RuntimeError:
            if unreachable_is_error:
                raise
            server = None
        ours = major_of(version)
        if server is not None and ours is not None and ours < server:
            raise ToolMissingError(f"pg_dump {ours} cannot dump a PostgreSQL {server} server",
                                   hint=f"install the PostgreSQL {server} client tools (pg_dump >= {server})")
        return version

    def server_major(self, env: dict[str, str]) -> int | None:
        """The server's major version through psql, or None when psql is absent."""
        try:
            psql = find_tool("psql", package_hint=PACKAGE)
        except ToolMissingError:
            return None
        answer = probe([psql.path, "-X", "-tA", f"--dbname={self._admin_conninfo()}", "-c",
                        "show server_version_num"], env)
        return int(answer) // 10000 if answer.isdigit() else None

    def problems(self) -> list[str]:
        """What would make a backup fail, found without dumping (for plan warnings)."""
        try:
            env = self.connection.env(self.environment)
            self.check_tools(env, unreachable_is_error=True)
            if self.globals or self.connection.database is None:
                find_tool("pg_dumpall", package_hint=PACKAGE)
        except RuntimeError as error:
            return [f"cannot reach the PostgreSQL server: {error}"]
        except BkctlError as error:  # a password_env that is unset, an unreadable DSN
            return [error.message]
        return []

    def _admin_conninfo(self) -> str:
        """Where to ask for the server version: the database, or ``postgres`` when dumping all."""
        if self.connection.database is not None:
            return self.connection.conninfo
        if "://" in self.connection.conninfo:
            return urlunsplit(urlsplit(self.connection.conninfo)._replace(path="/postgres"))
        return f"{self.connection.conninfo} dbname=postgres".strip()

    def _command(self) -> tuple[list[str], str, str]:
        """argv, item name and layout of the dump this workload asks for."""
        conn = f"--dbname={self.connection.conninfo}"
        database = self.connection.database
        if database is None:
            dumpall = find_tool("pg_dumpall", package_hint=PACKAGE)
            return [dumpall.path, conn], "all-databases.sql", "pg_dumpall-plain"
        dump = find_tool("pg_dump", package_hint=PACKAGE)
        if not self.globals:
            return [dump.path, "--format=custom", conn], item_name(database, ".dump"), "pg_dump-custom"
        dumpall = find_tool("pg_dumpall", package_hint=PACKAGE)
        return _globals_then_database(dumpall, dump, conn), item_name(database, ".sql"), "globals+pg_dump-plain"


def _globals_then_database(dumpall: Tool, dump: Tool, conn: str) -> list[str]:
    """One shell pipeline: globals first, then the database; the first failure fails the stream.

    pg_dumpall ignores the database named in --dbname (documented), so one connection
    string serves both tools. Paths and the connection string are positional parameters,
    never spliced into the script text, so nothing in them is interpreted by the shell.
    """
    script = 'set -e; "$1" --globals-only "$3"; exec "$2" --format=plain "$3"'
    return ["/bin/sh", "-c", script, "bkctl-pg-dump", dumpall.path, dump.path, conn]

