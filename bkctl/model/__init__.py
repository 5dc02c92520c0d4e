"""The vocabulary of bkctl as pure pydantic and stdlib types (imports nothing else of bkctl).

Names are imported on first use (PEP 562): the engine needs ``bkctl.model.units`` alone,
and importing every pydantic model with it cost a backup 0.1 s of start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {
    "MANIFEST_VERSION": "manifest", "Manifest": "manifest", "Settings": "manifest",
    "Policy": "policy", "Retention": "policy", "Schedule": "policy", "VerifySchedule": "policy",
    "TARGET_TYPES": "target", "DiskTarget": "target", "Encryption": "target", "TapeTarget": "target",
    "Target": "target", "VaultTarget": "target",
    "Duration": "units", "format_size": "units", "parse_duration": "units", "parse_size": "units",
    "WORKLOAD_TYPES": "workload", "CommandWorkload": "workload", "FilesWorkload": "workload",
    "Hooks": "workload", "ImageWorkload": "workload", "MariadbWorkload": "workload",
    "PostgresWorkload": "workload", "SqliteWorkload": "workload", "Workload": "workload",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'bkctl.model' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"bkctl.model.{home}"), name)
    globals()[name] = value
    return value


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
