"""Real database servers for integration tests: reach them, or skip (fail under BKCTL_REQUIRE_ALL=1).

CI exports BKCTL_REQUIRE_ALL=1 so a server that went missing fails the run instead of
silently skipping the consistency tests. Locally, a missing server is a clear skip.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess

import pytest

__all__ = ["PG", "MARIADB", "unavailable", "psql", "pg_conninfo", "mariadb_sql", "require_postgres", "require_mariadb",
           "fresh_name"]

PG = {"host": os.environ.get("BKCTL_TEST_PG_HOST", "127.0.0.1"),
      "port": os.environ.get("BKCTL_TEST_PG_PORT", "5432"),
      "user": os.environ.get("BKCTL_TEST_PG_USER", "postgres")}
MARIADB = {"host": os.environ.get("BKCTL_TEST_MARIADB_HOST", "127.0.0.1"),
           "port": os.environ.get("BKCTL_TEST_MARIADB_PORT", "3306"),
           "user": os.environ.get("BKCTL_TEST_MARIADB_USER", "root")}


def unavailable(reason: str) -> None:
    """Skip with ``reason``, or fail when CI demands every test run."""
    if os.environ.get("BKCTL_REQUIRE_ALL") == "1":
        pytest.fail(f"{reason} (BKCTL_REQUIRE_ALL=1 forbids skipping)")
    pytest.skip(reason)


def pg_conninfo(database: str) -> str:
    return f"host={PG['host']} port={PG['port']} user={PG['user']} dbname={database}"


def psql(database: str, sql: str) -> str:
    """Run SQL through psql and return the unaligned, tuples-only output."""
    result = subprocess.run(["psql", "-X", "-tA", "-v", "ON_ERROR_STOP=1", f"--dbname={pg_conninfo(database)}",
                             "-c", sql], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def mariadb_sql(database: str | None, sql: str) -> str:
    argv = ["mariadb", f"--host={MARIADB['host']}", f"--port={MARIADB['port']}", f"--user={MARIADB['user']}",
            "--batch", "--skip-column-names", "-e", sql, *([database] if database else [])]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False,
                            env={**os.environ, "MYSQL_PWD": os.environ.get("BKCTL_TEST_MARIADB_PASSWORD", "")})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def require_postgres() -> None:
    for tool in ("psql", "pg_dump", "pg_restore", "pg_dumpall"):
        if shutil.which(tool) is None:
            unavailable(f"PostgreSQL client tool {tool} is not installed")
    probe = subprocess.run(["psql", "-X", "-tA", f"--dbname={pg_conninfo('postgres')}", "-c", "select 1"],
                           capture_output=True, text=True, timeout=20, check=False)
    if probe.returncode != 0:
        unavailable(f"no PostgreSQL server at {PG['host']}:{PG['port']}: {probe.stderr.strip()}")


def require_mariadb() -> None:
    for tool in ("mariadb", "mariadb-dump"):
        if shutil.which(tool) is None:
            unavailable(f"MariaDB client tool {tool} is not installed")
    try:
        mariadb_sql(None, "select 1")
    except AssertionError as error:
        unavailable(f"no MariaDB server at {MARIADB['host']}:{MARIADB['port']}: {error}")


def fresh_name(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(4)}"
