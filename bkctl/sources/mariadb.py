"""MariaDB/MySQL workloads: ``mariadb-dump --single-transaction`` streamed into the repository.

``--single-transaction`` reads every InnoDB table inside one consistent snapshot while
writers keep writing (MyISAM/Aria tables get no such guarantee: that is the server's
limit, not ours). ``--routines --triggers --events`` make the dump a whole database, not
just its tables. One database gives item ``DB.sql`` (no CREATE DATABASE, so it restores
into any database); all databases give ``all-databases.sql`` (``--all-databases``).

Connection: ``dsn`` as ``mariadb://user@host:port/db`` (``mysql://`` too; a socket with
``?socket=/run/mysqld/mysqld.sock``), or ``server`` (a host, or a socket path starting with
``/``), ``port``, ``user``, ``database``. The password goes through ``MYSQL_PWD`` only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from bkctl.errors import BkctlError, UsageError
from bkctl.model import MariadbWorkload
from bkctl.sources.base import Facts, Items, StreamItem
from bkctl.sources.command import CommandSource
from bkctl.sources.environment import ChildEnvironment
from bkctl.sources.tools import DUMP_TIMEOUT_SECONDS, child_env, find_tool, item_name, probe, tool_version

__all__ = ["MariadbConnection", "MariadbSource", "connection_of", "parse_dsn", "DUMP_OPTIONS", "PACKAGE"]

PACKAGE = "the MariaDB client (e.g. apt install mariadb-client)"
DUMP_OPTIONS = ("--single-transaction", "--routines", "--triggers", "--events", "--hex-blob")
"""--hex-blob keeps binary columns intact whatever the client character set."""


@dataclass(frozen=True)
class MariadbConnection:
    """Client options (never a password), the database (None = all) and where the password lives."""

    options: tuple[str, ...]
    database: str | None
    password_env: str | None = None
    inline_password: str | None = None

    def env(self, environment: ChildEnvironment) -> dict[str, str]:
        """The tools' environment: ``environment``'s scrub of ours plus the password."""
        return child_env(variable="MYSQL_PWD", password_env=self.password_env,
                         inline_password=self.inline_password, environment=environment)


def _options(server: str | None, port: int | None, user: str | None, socket: str | None = None) -> tuple[str, ...]:
    found: list[str] = []
    if socket or (server and server.startswith("/")):
        found.append(f"--socket={socket or server}")
    elif server:
        found.append(f"--host={server}")
    if port:
        found.append(f"--port={port}")
    if user:
        found.append(f"--user={user}")
    return tuple(found)


def parse_dsn(dsn: str, *, password_env: str | None = None) -> MariadbConnection:
    """``mariadb://user[:password]@host[:port][/db][?socket=PATH]`` -> a connection.

    A password in the DSN is accepted (moved to MYSQL_PWD, never to argv) so that a
    pasted DSN cannot leak, but ``password_env`` is the documented way.
    """
    parts = urlsplit(dsn)
    if parts.scheme not in ("mariadb", "mysql"):
        raise UsageError(f"cannot read the MariaDB DSN (scheme {parts.scheme!r})",
                         hint="use mariadb://user@host:port/database")
    socket = parse_qs(parts.query).get("socket", [None])[0]
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    database = unquote(parts.path.lstrip("/")) or None
    return MariadbConnection(_options(parts.hostname, parts.port, user, socket), database, password_env, password)


def connection_of(spec: MariadbWorkload) -> MariadbConnection:
    """The connection a workload describes; ``database`` overrides the DSN's own database."""
    if spec.dsn:
        parsed = parse_dsn(spec.dsn, password_env=spec.password_env)
        if spec.database:
            return MariadbConnection(parsed.options, spec.database, parsed.password_env, parsed.inline_password)
        return parsed
    return MariadbConnection(_options(spec.server, spec.port, spec.user), spec.database, spec.password_env)


@dataclass(frozen=True)
class MariadbSource:
    """Dumps one database (or all) of a MariaDB/MySQL server into one stream recovery point."""

    connection: MariadbConnection
    timeout_seconds: float = DUMP_TIMEOUT_SECONDS
    kind: str = "mariadb"
    environment: ChildEnvironment = field(default_factory=ChildEnvironment)

    @contextmanager
    def open(self, workload: str) -> Iterator[Items]:
        """The dump as one stream; ToolMissingError or CommandFailedError commit nothing."""
        env = self.connection.env(self.environment)
        dump = find_tool("mariadb-dump", "mysqldump", package_hint=PACKAGE)
        version = tool_version(dump, env)
        database = self.connection.database
        scope = ["--all-databases"] if database is None else ["--", database]
        argv = [dump.path, *self.connection.options, *DUMP_OPTIONS, *scope]
        name = "all-databases.sql" if database is None else item_name(database, ".sql")
        facts: Facts = {"tool_version": version, "format": "sql", "database": database or "*",
                 "options": list(DUMP_OPTIONS)}
        source = CommandSource(tuple(argv), self.timeout_seconds, name, env=env)
        with source.output(workload) as output:
            yield StreamItem(output.name, output.stream, {**facts, **output.facts})

    def problems(self) -> list[str]:
        """What would make a backup fail, found without dumping (for plan warnings)."""
        try:
            env = self.connection.env(self.environment)
            tool_version(find_tool("mariadb-dump", "mysqldump", package_hint=PACKAGE), env)
            client = find_tool("mariadb", "mysql", package_hint=PACKAGE)
            probe([client.path, *self.connection.options, "--batch", "--skip-column-names",
                   "--connect-timeout=10", "-e", "select 1"], env)
        except RuntimeError as error:
            return [f"cannot reach the MariaDB server: {error}"]
        except BkctlError as error:  # a password_env that is unset, an unreadable DSN
            return [error.message]
        return []
