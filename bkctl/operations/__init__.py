"""The use cases that the CLI and the tests call, one module per concern.

Each function takes a Workspace (manifest + drivers) and returns data; printing is the
CLI's job. ``now`` is always an argument so that plans can be reproduced. This package
face re-exports them so callers write ``operations.plan(...)``.

The submodules load on first use (PEP 562 ``__getattr__``): together they import every
target driver, the archiver, the restorer and the tape code, which ``bkctl --help``,
``--version`` and ``plan`` do not need (docs/performance.md, "Planning at fleet scale and
start-up"). Type checkers read the imports below as before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bkctl.operations.browsing import (
        FORMAT_VERSION,
        FoundEntry,
        PointComparison,
        Readable,
        browsing,
        change_dict,
        compare_points,
        dump_file,
        entry_dict,
        find_entries,
        list_entries,
        match_point,
        point_browser,
        readable_points,
        resolve_point,
        workload_point,
    )
    from bkctl.operations.estate import drill, report
    from bkctl.operations.forgetting import (
        ForgetRefusedError,
        ForgetRequest,
        ForgetResult,
        forget,
        forget_refusals,
        request_forget,
    )
    from bkctl.operations.maintenance import reclaim, repair_index, repair_points, repository_targets, unlock
    from bkctl.operations.planning import apply_saved, backup_now, plan, source_warnings, tool_warnings
    from bkctl.operations.points import (
        AmbiguousPointError,
        PointRow,
        choose_point,
        key_ring,
        list_points,
        restore,
        restore_into_database,
        restore_stream,
        verify,
    )
    from bkctl.operations.status import StatusRow, status
    from bkctl.operations.storage import TargetStats, WorkloadTotals, storage_stats
    from bkctl.operations.tape import (
        copy_points,
        media_library,
        restore_map,
        tape_export,
        tape_import,
        tape_label,
        tape_scan,
        tape_status,
    )
    from bkctl.reconcile import ApplyResult, apply_plan
    from bkctl.targets.base import CHANGE_KINDS, EntryChange, PointBrowser, PointEntry, PointFile, VerifyResult

_HOMES: dict[str, tuple[str, ...]] = {
    "bkctl.operations.browsing": (
        "FORMAT_VERSION", "FoundEntry", "PointComparison", "Readable", "browsing", "change_dict", "compare_points",
        "dump_file", "entry_dict", "find_entries", "list_entries", "match_point", "point_browser",
        "readable_points", "resolve_point", "workload_point",
    ),
    "bkctl.operations.estate": (
        "drill", "report",
    ),
    "bkctl.operations.forgetting": (
        "ForgetRefusedError", "ForgetRequest", "ForgetResult", "forget", "forget_refusals", "request_forget",
    ),
    "bkctl.operations.maintenance": (
        "reclaim", "repair_index", "repair_points", "repository_targets", "unlock",
    ),
    "bkctl.operations.planning": (
        "apply_saved", "backup_now", "plan", "source_warnings", "tool_warnings",
    ),
    "bkctl.operations.points": (
        "AmbiguousPointError", "PointRow", "choose_point", "key_ring", "list_points", "restore",
        "restore_into_database", "restore_stream", "verify",
    ),
    "bkctl.operations.status": (
        "StatusRow", "status",
    ),
    "bkctl.operations.storage": (
        "TargetStats", "WorkloadTotals", "storage_stats",
    ),
    "bkctl.operations.tape": (
        "copy_points", "media_library", "restore_map", "tape_export", "tape_import", "tape_label", "tape_scan",
        "tape_status",
    ),
    "bkctl.reconcile": (
        "ApplyResult", "apply_plan",
    ),
    "bkctl.targets.base": (
        "CHANGE_KINDS", "EntryChange", "PointBrowser", "PointEntry", "PointFile", "VerifyResult",
    ),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` the first time someone asks for it."""
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME_OF})


__all__ = [
    "VerifyResult",
    "plan",
    "tool_warnings",
    "source_warnings",
    "apply_saved",
    "apply_plan",
    "ApplyResult",
    "backup_now",
    "list_points",
    "choose_point",
    "restore",
    "restore_stream",
    "restore_into_database",
    "verify",
    "key_ring",
    "status",
    "StatusRow",
    "PointRow",
    "reclaim",
    "repair_index",
    "repair_points",
    "unlock",
    "repository_targets",
    "drill",
    "report",
    "FORMAT_VERSION",
    "AmbiguousPointError",
    "ForgetRefusedError",
    "Readable",
    "readable_points",
    "resolve_point",
    "match_point",
    "workload_point",
    "point_browser",
    "PointBrowser",
    "PointEntry",
    "PointFile",
    "EntryChange",
    "CHANGE_KINDS",
    "list_entries",
    "FoundEntry",
    "find_entries",
    "PointComparison",
    "compare_points",
    "dump_file",
    "browsing",
    "entry_dict",
    "change_dict",
    "ForgetRequest",
    "request_forget",
    "forget_refusals",
    "ForgetResult",
    "forget",
    "WorkloadTotals",
    "TargetStats",
    "storage_stats",
    "media_library",
    "restore_map",
    "copy_points",
    "tape_status",
    "tape_label",
    "tape_scan",
    "tape_export",
    "tape_import",
]
