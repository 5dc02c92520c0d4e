"""``bkctl restore W --into DSN``: feed a database point straight into a server, through a pipe.

The point's bytes go from the repository into the tool's standard input as they are
read: nothing is staged on disk. Which tool reads them:

- postgres: ``pg_restore --no-owner --dbname=DSN`` for a custom-format dump (its first
  bytes are ``PGDMP``), ``psql --dbname=DSN`` for the plain SQL of ``globals: true`` or of
  all databases (psql goes on past errors such as "role already exists", as the SQL
  produced by pg_dumpall expects);
- mariadb: the ``mariadb`` client (``mysql`` if absent), DSN ``mariadb://user@host:port/db``.

The target database must exist (``createdb``, ``CREATE DATABASE``): we never create or
drop databases. Passwords come from PGPASSWORD / MYSQL_PWD in the environment or from
the workload's ``password_env``, never from the command line.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Callable
from typing import IO, BinaryIO

from bkctl.errors import BkctlError, UsageError
from bkctl.model import MariadbWorkload, PostgresWorkload
from bkctl.sources import mariadb, postgres
from bkctl.sources.environment import ChildEnvironment
from bkctl.sources.tools import child_env, find_tool

__all__ = ["DatabaseRestoreError", "restore_into", "redact_dsn"]

CUSTOM_FORMAT_MAGIC = b"PGDMP"


class DatabaseRestoreError(BkctlError):
    reference = "database-restore-failed"


class _ToolSink:
    """A writable stream that starts the restore tool once it has seen the first bytes."""

    def __init__(self, choose: Callable[[bytes], list[str]], env: dict[str, str]) -> None:
        self._choose = choose
        self._env = env
        self._head = b""
        self._process: subprocess.Popen[bytes] | None = None
        self._errors: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finish()
        self.argv0 = ""

    def write(self, data: bytes) -> int:
        if self._process is None:
            self._head += bytes(data)
            if len(self._head) < len(CUSTOM_FORMAT_MAGIC):
                return len(data)
            self._start()
            data, self._head = self._head, b""
        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write(data)
        except BrokenPipeError:
            self.finish()  # raises with the tool's own message
            raise DatabaseRestoreError(f"{self.argv0} stopped reading its input") from None
        return len(data)

    def flush(self) -> None:
        pass

    def _start(self) -> None:
        argv = self._choose(self._head)
        self.argv0 = argv[0].rsplit("/", 1)[-1]
        self._process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                         stderr=self._errors, env=self._env)

    def finish(self) -> None:
        """Close the pipe, wait, and raise DatabaseRestoreError on a non-zero exit."""
        if self._process is None and self._head:
            self._start()
            assert self._process is not None and self._process.stdin is not None
            self._process.stdin.write(self._head)
            self._head = b""
        if self._process is None:
            raise DatabaseRestoreError("the recovery point is empty; nothing to restore")
        assert self._process.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self._process.stdin.close()
        code = self._process.wait()
        self._errors.seek(0)
        lines = self._errors.read().decode(errors="replace").strip().splitlines()
        self._errors.close()
        if code != 0:
            raise DatabaseRestoreError(f"{self.argv0} exited with status {code}"
                                       + (f": {lines[-1]}" if lines else ""))

    def abort(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()


def _postgres_tools(dsn: str) -> Callable[[bytes], list[str]]:
    def choose(head: bytes) -> list[str]:
        if head.startswith(CUSTOM_FORMAT_MAGIC):
            tool = find_tool("pg_restore", package_hint=postgres.PACKAGE)
            return [tool.path, "--no-owner", f"--dbname={dsn}"]
        tool = find_tool("psql", package_hint=postgres.PACKAGE)
        return [tool.path, "-X", "-q", f"--dbname={dsn}", "-f", "-"]
    return choose


def _mariadb_tools(connection: mariadb.MariadbConnection) -> Callable[[bytes], list[str]]:
    def choose(head: bytes) -> list[str]:
        tool = find_tool("mariadb", "mysql", package_hint=mariadb.PACKAGE)
        scope = [connection.database] if connection.database else []
        return [tool.path, *connection.options, *scope]
    return choose


def restore_into(spec: object, dsn: str, write_point: Callable[[BinaryIO], int], *,
                 environment: ChildEnvironment) -> int:
    """Pipe a point (``write_point(out)`` writes it) into the server ``dsn`` names; returns bytes.

    The tool runs with ``environment``'s scrub of ours plus its password (see tools.child_env).
    """
    if isinstance(spec, PostgresWorkload):
        clean, password = postgres.split_password(dsn)
        env = child_env(variable="PGPASSWORD", password_env=spec.password_env, inline_password=password,
                        environment=environment)
        sink = _ToolSink(_postgres_tools(clean), env)
    elif isinstance(spec, MariadbWorkload):
        connection = mariadb.parse_dsn(dsn, password_env=spec.password_env)
        sink = _ToolSink(_mariadb_tools(connection), connection.env(environment))
    else:
        raise UsageError("--into works for postgres and mariadb workloads only",
                         hint="use --to-file FILE for other stream points")
    try:
        size = write_point(sink)  # type: ignore[arg-type]
        sink.finish()
    except BaseException:
        sink.abort()
        raise
    return size


def redact_dsn(dsn: str) -> str:
    """The DSN as it may be printed: without any password it holds."""
    clean, password = postgres.split_password(dsn)
    return clean if password is None else f"{clean} (password hidden)"
