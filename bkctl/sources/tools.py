"""External dump tools: finding them, reading their versions, and checking them before a backup.

Database workloads shell out to the vendor's dump tools (pg_dump, mariadb-dump) because
only they know every object type of their server. A missing tool, or a pg_dump older than
the server (pg_dump refuses to dump a newer major version), is found twice: at plan time as
a warning, so an operator learns of it before a backup is due, and at backup time as a
ToolMissingError naming the tool, so the backup fails before any data is written.

Every probe has a short timeout so that ``bkctl plan`` stays cheap when a server is down.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from bkctl.errors import BkctlError, ToolMissingError
from bkctl.sources.environment import ChildEnvironment

__all__ = [
    "Tool", "find_tool", "item_name", "tool_version", "major_of", "probe", "child_env", "MissingPasswordError",
    "PROBE_TIMEOUT_SECONDS", "DUMP_TIMEOUT_SECONDS",
]

PROBE_TIMEOUT_SECONDS = 10.0
"""Long enough for a slow TLS handshake, short enough that a dead server does not stall a plan."""

DUMP_TIMEOUT_SECONDS = 24 * 3600.0
"""Database workloads have no timeout field; a dump that runs a whole day is stuck, not slow."""


@dataclass(frozen=True)
class Tool:
    """A located program: the name operators know and the absolute path we run."""

    name: str
    path: str


def find_tool(*names: str, package_hint: str) -> Tool:
    """The first of ``names`` on PATH; ToolMissingError (naming the first) when none is."""
    for name in names:
        path = shutil.which(name)
        if path:
            return Tool(name, path)
    raise ToolMissingError(f"{names[0]} is not installed or not on PATH",
                           hint=f"install {package_hint}")


def tool_version(tool: Tool, env: dict[str, str]) -> str:
    """The tool's ``--version`` line, e.g. ``pg_dump (PostgreSQL) 15.20`` (run with ``env``, see child_env)."""
    try:
        result = subprocess.run([tool.path, "--version"], capture_output=True, text=True, env=env,
                                timeout=PROBE_TIMEOUT_SECONDS, stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ToolMissingError(f"{tool.name} cannot be run: {error}") from None
    if result.returncode != 0:
        raise ToolMissingError(f"{tool.name} --version exited with status {result.returncode}")
    return result.stdout.strip().splitlines()[0] if result.stdout.strip() else tool.name


def major_of(version_line: str) -> int | None:
    """The first version number's major part: ``pg_dump (PostgreSQL) 15.20`` -> 15."""
    match = re.search(r"(\d+)(?:\.\d+)+", version_line) or re.search(r"\b(\d+)\b", version_line)
    return int(match.group(1)) if match else None


def probe(argv: list[str], env: dict[str, str]) -> str:
    """Run a short query command and return its stdout; raises RuntimeError with stderr's tail."""
    try:
        result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=PROBE_TIMEOUT_SECONDS,
                                stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"no answer within {PROBE_TIMEOUT_SECONDS:g} s") from None
    except OSError as error:
        raise RuntimeError(str(error)) from None
    if result.returncode != 0:
        tail = result.stderr.strip().splitlines()[-1:] or [f"exit status {result.returncode}"]
        raise RuntimeError(tail[0])
    return result.stdout.strip()


def child_env(*, variable: str, password_env: str | None, inline_password: str | None,
              environment: ChildEnvironment, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a dump or restore tool, with the password in ``variable``.

    The password travels only through the environment (``PGPASSWORD``, ``MYSQL_PWD``): never
    argv, which any local user can read in ``ps``, and never a message. A ``password_env``
    that names an unset variable is an error rather than a silent password-less attempt.
    The rest is ``environment``'s scrub of ours: the tool gets its own password and not the
    repository passphrase, the vault credentials or ``password_env`` under its own name.
    """
    env = environment.variables(extra)
    if password_env:
        value = os.environ.get(password_env)
        if value is None:
            raise MissingPasswordError(f"environment variable {password_env} (password_env) is not set",
                                       hint=f"export {password_env} before running bkctl")
        env[variable] = value
    elif inline_password is not None:
        env[variable] = inline_password
    return env


class MissingPasswordError(BkctlError):
    reference = "password-missing"


def item_name(database: str, suffix: str) -> str:
    """A plain file name for a dump item (database names may hold '/' or spaces)."""
    return (re.sub(r"[^\w.-]", "_", database) or "database") + suffix
