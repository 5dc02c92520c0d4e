"""Workloads: what is protected (files, databases, command output, disk images)."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator

from bkctl.model.base import Name, Strict, described
from bkctl.model.units import DurationField, parse_duration

__all__ = [
    "Hooks",
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


class Hooks(Strict):
    """Commands run around a backup; ``after`` runs even when the backup fails."""

    before: Argv | None = described("Command run before the backup (argv).", ["sync"], default=None)
    after: Argv | None = described("Command run after the backup, always (argv).", ["true"], default=None)
    timeout: DurationField = described(
        "Time limit for each hook command.", "5min", default_factory=lambda: parse_duration("5min")
    )


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
    compression: Compression = described(
        "zstd level (1-22) or 'off'.", 3, default=3
    )
    host: str | None = described(
        "Host that owns this workload's recovery points (defaults to this machine's name).",
        "web-01",
        default=None,
    )

    @field_validator("compression")
    @classmethod
    def _level_in_range(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 1 <= value <= 22:
            raise ValueError("compression must be a zstd level from 1 to 22, or 'off'")
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
