"""How ls, find, diff, forget and stats print points and entries (text and JSON).

Listings go to stdout one line per entry, unstyled, so they pipe into grep and xargs;
the one-line summary of a listing goes to stderr for the same reason.
"""

from __future__ import annotations

import json
import stat
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: bkctl.operations loads its submodules on first use
    from bkctl.operations import PointEntry, PointRow

__all__ = ["point_label", "entry_line", "mode_text", "print_json", "write_line"]

_TYPE_BITS = {"dir": stat.S_IFDIR, "file": stat.S_IFREG, "symlink": stat.S_IFLNK, "fifo": stat.S_IFIFO,
              "chardev": stat.S_IFCHR, "blockdev": stat.S_IFBLK}


def point_label(row: PointRow) -> str:
    """``point ab12cd34 of docs (2026-05-01 12:00:00 UTC, target local)``."""
    point = row.point
    return f"point {point.id[:8]} of {point.workload} ({point.time:%Y-%m-%d %H:%M:%S} UTC, target {row.target})"


def mode_text(entry: PointEntry) -> str:
    """``drwxr-xr-x``, as ls -l shows it."""
    return stat.filemode(_TYPE_BITS.get(entry.type, 0) | entry.mode)


def entry_line(entry: PointEntry, *, long: bool) -> str:
    """The path, or with ``long`` mode, owner, group, size, mtime and path like restic's ``ls -l``."""
    shown = entry.path + (f" -> {entry.link_target}" if entry.type == "symlink" else "")
    if not long:
        return shown
    mtime = datetime.fromtimestamp(entry.mtime_ns / 1e9, UTC).strftime("%Y-%m-%d %H:%M:%S")
    return (f"{mode_text(entry)} {entry.user or entry.uid:>8} {entry.group or entry.gid:>8} "
            f"{entry.size:>12} {mtime} {shown}")


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2) + "\n")


def write_line(text: str) -> None:
    """A data line; a name that is not valid UTF-8 is shown with backslash escapes, not a crash."""
    sys.stdout.write(text.encode("utf-8", "backslashreplace").decode("utf-8") + "\n")
