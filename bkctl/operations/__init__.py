"""The use cases that the CLI and the tests call, one module per concern.

Each function takes a Workspace (manifest + drivers) and returns data; printing is the
CLI's job. ``now`` is always an argument so that plans can be reproduced. This package
face re-exports them so callers write ``operations.plan(...)``.
"""

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
