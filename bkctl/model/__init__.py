"""The vocabulary of bkctl as pure pydantic and stdlib types (imports nothing else of bkctl)."""

from bkctl.model.manifest import MANIFEST_VERSION, Manifest, Settings
from bkctl.model.policy import Policy, Retention, Schedule, VerifySchedule
from bkctl.model.target import TARGET_TYPES, DiskTarget, Encryption, TapeTarget, Target, VaultTarget
from bkctl.model.units import Duration, format_size, parse_duration, parse_size
from bkctl.model.workload import (
    WORKLOAD_TYPES,
    CommandWorkload,
    FilesWorkload,
    Hooks,
    ImageWorkload,
    MariadbWorkload,
    PostgresWorkload,
    SqliteWorkload,
    Workload,
)

__all__ = [
    "MANIFEST_VERSION",
    "TARGET_TYPES",
    "WORKLOAD_TYPES",
    "CommandWorkload",
    "DiskTarget",
    "Duration",
    "Encryption",
    "FilesWorkload",
    "Hooks",
    "ImageWorkload",
    "Manifest",
    "MariadbWorkload",
    "Policy",
    "PostgresWorkload",
    "Retention",
    "Schedule",
    "Settings",
    "SqliteWorkload",
    "TapeTarget",
    "Target",
    "VaultTarget",
    "VerifySchedule",
    "Workload",
    "format_size",
    "parse_duration",
    "parse_size",
]
