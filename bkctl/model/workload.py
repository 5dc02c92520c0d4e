"""Workloads: what is protected (files, databases, command output, disk images)."""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator

from bkctl.model.base import Name, Strict, described
from bkctl.model.fields import DurationField
from bkctl.model.protection import ProtectionRule
from bkctl.model.units import parse_duration

__all__ = [
    "Hooks",
    "HookCommand",
    "hook_command_problems",
    "FilesWorkload",
    "SqliteWorkload",
    "PostgresWorkload",
    "MariadbWorkload",
    "CommandWorkload",
    "ImageWorkload",
    "Workload",
    "WORKLOAD_TYPES",
]

Argv = Annotated[list[str], Field(min_length=1)]


HookCommand = (
    Annotated[list[str], Field(min_length=1, description="An argv list: the program and its arguments, run "
                                                          "directly, without a shell.")]
    | Annotated[str, Field(min_length=1, pattern=r"^[^-]", description="A shell command line, run by /bin/sh -c.")]
)
"""One hook command: an argv list, run directly, or a string, run by ``/bin/sh -c``."""

ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class Hooks(Strict):
    """Commands run around a backup; ``after`` runs even when the backup fails.

    Each phase is a list of commands run in order. An item is either an argv list
    (``[pg_ctl, stop, -m, fast]``, run directly, no shell) or a string (``"sync && sleep 1"``,
    run by ``/bin/sh -c``, as borgmatic does). A phase used to be one argv list, so an old
    ``before: [pg_ctl, stop, -m, fast]`` would now mean four shell commands; the validator
    refuses a string item starting with ``-`` (no shell command does) and suggests the
    nested list instead.
    """

    before: list[HookCommand] = described(
        "Commands run in order before the backup; the first failure skips the backup. Each item is an "
        "argv list (run directly, no shell) or a string (run by /bin/sh -c).",
        [["pg_ctl", "stop", "-m", "fast"], "sync"],
        default_factory=list,
    )
    after: list[HookCommand] = described(
        "Commands run in order after the backup, always, even when it or an earlier item failed; "
        "failures are reported together. Each item is an argv list (run directly) or a string "
        "(run by /bin/sh -c).",
        [["pg_ctl", "start"], "echo done >> /var/log/backup.log"],
        default_factory=list,
    )
    timeout: DurationField = described(
        "Time limit for each hook command.", "5min", default_factory=lambda: parse_duration("5min")
    )

    @field_validator("before", "after", mode="before")
    @classmethod
    def _one_shape(cls, value: object, info: ValidationInfo) -> object:
        problems = hook_command_problems(value, str(info.field_name))
        if problems:
            raise ValueError("; ".join(problems))
        return value


def hook_command_problems(value: object, phase: str) -> list[str]:
    """What is wrong with one phase's list of commands, in words an operator can act on."""
    if not isinstance(value, list):
        return [f"'{phase}' must be a list of commands, e.g. {phase}: [[pg_ctl, stop], 'sync']"]
    problems = []
    for number, item in enumerate(value, start=1):
        where = f"{phase} command {number}"
        if isinstance(item, str):
            if not item.strip():
                problems.append(f"{where} is an empty string")
            elif item.startswith("-"):
                problems.append(f"{where} ({item!r}) starts with '-', but each string is a separate shell "
                                f"command; {_suggestion(value)}")
        elif isinstance(item, list):
            if not item:
                problems.append(f"{where} is an empty argv list")
            wrong = [f"{part!r}" for part in item if not isinstance(part, str)]
            if wrong:
                problems.append(f"{where}: every argv item must be a string, not {', '.join(wrong)} "
                                "(quote numbers, true/false and null in YAML)")
            elif item and not item[0].strip():
                problems.append(f"{where}: the program name (first argv item) is empty")
        else:
            problems.append(f"{where} must be an argv list or a shell string, not {item!r}")
    return problems


def _suggestion(value: list[object]) -> str:
    """``did you mean one argv list: [[pg_ctl, stop, -m, fast]]?``: the old reading, as YAML."""
    if not all(isinstance(word, str) for word in value):
        return "put options inside the argv list of their program, e.g. [[pg_ctl, stop, -m, fast]]"
    shown = [word if all(c.isalnum() or c in "-_./=@+%" for c in word) else json.dumps(word)
             for word in map(str, value)]
    return f"did you mean one argv list: [[{', '.join(shown)}]]?"


Compression = int | Literal["off"]


class _WorkloadBase(Strict):
    description: str = described("What this workload is.", "Web server content", default="")
    policy: Name = described("Name of the policy (schedule and retention) to apply.", "standard")
    targets: list[Name] = described(
        "Names of the targets that hold recovery points of this workload.", ["local"], min_length=1
    )
    hooks: Hooks | None = described(
        "Commands run before and after the backup.", {"before": ["sync"], "timeout": "1min"}, default=None
    )
    pass_env: list[str] = described(
        "Secret environment variables that this workload's hooks, command and database tools may "
        "still see. bkctl removes from every child process the variables it reads secrets from "
        "(passphrase_env, key_env, secret_env, password_env, BKCTL_PASSPHRASE) unless listed here.",
        ["AWS_SECRET_ACCESS_KEY"],
        default_factory=list,
    )
    compression: Compression = described(
        "zstd level (1-22) or 'off'.", 3, default=3
    )
    host: str | None = described(
        "Host that owns this workload's recovery points (defaults to this machine's name).",
        "web-01",
        default=None,
    )
    protection: ProtectionRule | None = described(
        "Copies this workload must have (overrides the manifest's 'protection'), e.g. 3-2-1-1-0.",
        "3-2-1-1-0",
        default=None,
    )

    @field_validator("compression")
    @classmethod
    def _level_in_range(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 1 <= value <= 22:
            raise ValueError("compression must be a zstd level from 1 to 22, or 'off'")
        return value

    @field_validator("pass_env")
    @classmethod
    def _variable_names(cls, value: list[str]) -> list[str]:
        wrong = [name for name in value if not re.fullmatch(ENV_NAME_PATTERN, name)]
        if wrong:
            raise ValueError(f"not an environment variable name: {', '.join(map(repr, wrong))} "
                             "(letters, digits and '_', not starting with a digit)")
        return value

    @field_validator("targets")
    @classmethod
    def _unique_targets(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a target is listed twice")
        return value


class FilesWorkload(_WorkloadBase):
    """Files and folders."""

    type: Literal["files"] = described("Workload kind.", "files")
    paths: list[str] = described(
        "Files and folders to protect (relative paths are relative to the manifest file).",
        ["/etc", "/srv/www"],
        min_length=1,
    )
    include: list[str] = described(
        "gitignore-style patterns; when set, only matching files are protected.", ["*.conf"], default_factory=list
    )
    exclude: list[str] = described(
        "gitignore-style patterns of files to leave out.", ["*.tmp", "cache/"], default_factory=list
    )
    one_file_system: bool = described("Do not cross file system boundaries.", True, default=False)


class SqliteWorkload(_WorkloadBase):
    """A SQLite database copied through the online backup API."""

    type: Literal["sqlite"] = described("Workload kind.", "sqlite")
    path: str = described("Path of the database file.", "/var/lib/app/app.db")


class _DatabaseServer(_WorkloadBase):
    dsn: str | None = described(
        "Connection string (without a password; use password_env).", "postgresql://backup@db1/app", default=None
    )
    server: str | None = described("Server host name or socket directory.", "127.0.0.1", default=None)
    port: int | None = described("Server port.", 5432, default=None, ge=1, le=65535)
    database: str | None = described("Database to dump; all databases when absent.", "app", default=None)
    user: str | None = described("User name.", "backup", default=None)
    password_env: str | None = described(
        "Environment variable holding the password.", "PGPASSWORD_APP", default=None
    )

    @model_validator(mode="after")
    def _dsn_or_parts(self) -> Self:
        if self.dsn and (self.server or self.port):
            raise ValueError("give either 'dsn' or 'server'/'port', not both")
        return self


class PostgresWorkload(_DatabaseServer):
    """A PostgreSQL database dumped with pg_dump (custom format), streamed."""

    type: Literal["postgres"] = described("Workload kind.", "postgres")
    globals: bool = described("Also dump roles and tablespaces (pg_dumpall --globals-only).", False, default=False)


class MariadbWorkload(_DatabaseServer):
    """A MariaDB/MySQL database dumped with mariadb-dump --single-transaction, streamed."""

    type: Literal["mariadb"] = described("Workload kind.", "mariadb")


class CommandWorkload(_WorkloadBase):
    """The standard output of a command, stored as one item."""

    type: Literal["command"] = described("Workload kind.", "command")
    command: Argv = described("The command to run (argv).", ["etcdctl", "snapshot", "save", "/dev/stdout"])
    timeout: DurationField = described(
        "Time limit for the command.", "1h", default_factory=lambda: parse_duration("1h")
    )
    filename: str = described("Name of the stored item.", "etcd.snapshot", default="stdout")


class ImageWorkload(_WorkloadBase):
    """A disk or VM image file or block device, chunked so that changed regions alone are stored."""

    type: Literal["image"] = described("Workload kind.", "image")
    path: str = described("Image file or block device.", "/var/lib/libvirt/images/vm1.qcow2")


Workload = Annotated[
    FilesWorkload | SqliteWorkload | PostgresWorkload | MariadbWorkload | CommandWorkload | ImageWorkload,
    Field(discriminator="type"),
]

WORKLOAD_TYPES: dict[str, type[Strict]] = {
    "files": FilesWorkload,
    "sqlite": SqliteWorkload,
    "postgres": PostgresWorkload,
    "mariadb": MariadbWorkload,
    "command": CommandWorkload,
    "image": ImageWorkload,
}
