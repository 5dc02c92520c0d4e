"""Reading points without restoring them: ls, find, diff, dump, mount.

Points are named by id or unique prefix. Drivers take part through capabilities declared
in bkctl/targets/base.py (PointBrowser, StorageUsage, DamagedPoints); a target lacking one
is a usage error naming it. A target that cannot be read is left out where the answer
does not depend on it, and its error is kept so the command can still exit non-zero.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO

from bkctl.errors import BkctlError, NotFoundError, RepositoryCorruptError, UsageError
from bkctl.model.plan import combined_exit_code
from bkctl.operations.points import AmbiguousPointError, PointRow, list_points
from bkctl.targets.base import (
    CHANGE_KINDS,
    DamagedPoints,
    EntryChange,
    PointBrowser,
    PointEntry,
)
from bkctl.workspace import Workspace

FORMAT_VERSION = 1
"""The ``format_version`` of the JSON that ls, find, diff, forget and stats print."""

DUMP_BLOCK = 1 << 20  # bytes per read while dumping a file: one average chunk
logger = logging.getLogger("bkctl")


@dataclass
class Readable:
    """The points of the targets that could be read, and why the others could not."""

    rows: list[PointRow] = field(default_factory=list)
    damaged: list[tuple[str, str]] = field(default_factory=list)  # (target, point id)
    failures: dict[str, BkctlError] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return combined_exit_code(int(error.exit_code) for error in self.failures.values())


def readable_points(workspace: Workspace, targets: list[str] | None = None) -> Readable:
    """Every point of the named targets (all by default) that can be read; oldest first."""
    found = Readable()
    for name in targets or sorted(workspace.manifest.targets):
        driver = workspace.driver(name)
        try:
            if not driver.initialized():
                continue
            found.rows += [PointRow(name, point) for point in driver.points()]
            if isinstance(driver, DamagedPoints):
                found.damaged += [(name, point_id) for point_id in driver.damaged_point_ids()]
        except BkctlError as error:
            found.failures[name] = error
    found.rows.sort(key=lambda r: (r.point.time, r.target, r.point.id))
    return found


def resolve_point(found: Readable, prefix: str) -> tuple[list[PointRow], list[tuple[str, str]]]:
    """The rows (one per target holding it) or the damaged documents of the one point
    ``prefix`` names: 64 when several points match; 66 when none does (or the error of a
    target that could not be read, which might hold it)."""
    rows = [r for r in found.rows if prefix and r.point.id.startswith(prefix)]
    readable = {r.point.id for r in rows}
    broken = [(t, i) for t, i in found.damaged if prefix and i.startswith(prefix) and i not in readable]
    ids = sorted(readable | {i for _, i in broken})
    if len(ids) > 1:
        raise AmbiguousPointError(f"recovery point prefix '{prefix}' is ambiguous: {', '.join(i[:12] for i in ids)}",
                                  hint="give more characters of the id")
    if not ids:
        if found.failures:
            raise next(iter(found.failures.values()))
        raise NotFoundError(f"no recovery point '{prefix}'", hint="list them with: bkctl points")
    return rows, broken


def match_point(found: Readable, prefix: str) -> list[PointRow]:
    """Like :func:`resolve_point`, for reading: a point whose document is damaged is 67."""
    rows, broken = resolve_point(found, prefix)
    if not rows:
        raise RepositoryCorruptError(f"recovery point {broken[0][1]} in target '{broken[0][0]}' is damaged "
                                     "and cannot be read",
                                     hint="`bkctl repair points` may restore it; `bkctl forget` removes it")
    return rows


def workload_point(workspace: Workspace, workload: str, *, point: str | None, target: str | None) -> PointRow:
    """A workload's point by id (prefix), or its newest one, in its targets or ``target``."""
    workspace.check_workload(workload)
    targets = [target] if target else list(workspace.manifest.workloads[workload].targets)
    found = readable_points(workspace, targets)
    host = workspace.host_of(workload)
    found.rows = [r for r in found.rows if r.point.workload == workload and r.point.host == host]
    if point:
        return match_point(found, point)[0]
    if not found.rows:
        if found.failures:
            raise next(iter(found.failures.values()))
        raise NotFoundError(f"workload '{workload}' has no recovery point yet",
                            hint=f"back it up with: bkctl backup {workload}")
    for name, error in found.failures.items():
        logger.warning("warning: target '%s' could not be read (%s); the newest point of the other targets "
                       "is used", name, error.message)
    return found.rows[-1]


def point_browser(workspace: Workspace, target: str) -> PointBrowser:
    driver = workspace.driver(target)
    if not isinstance(driver, PointBrowser):
        raise UsageError(f"the points of target '{target}' cannot be browsed by this version of bkctl",
                         hint="restore the point instead: bkctl restore WORKLOAD --to DIR")
    return driver


def list_entries(workspace: Workspace, row: PointRow, path: str = "/") -> list[PointEntry]:
    """What lies below ``path`` in a point (every level), or the entry at ``path`` itself."""
    browser = point_browser(workspace, row.target)
    with browser.reading():
        return list(browser.point_entries(row.point.id, path))


@dataclass(frozen=True)
class FoundEntry:
    row: PointRow
    entry: PointEntry

    def as_dict(self) -> dict[str, Any]:
        point = self.row.point
        return {"point": point.id, "time": point.time.isoformat(), "workload": point.workload, "host": point.host,
                "target": self.row.target, **entry_dict(self.entry)}


def find_entries(workspace: Workspace, pattern: str, *, workload: str | None = None,
                 target: str | None = None) -> tuple[list[FoundEntry], Readable]:
    """Entries whose name (or path, when ``pattern`` holds a ``/``) matches the glob, in
    every point of the readable targets; a point kept in several targets is searched once."""
    if workload:
        workspace.check_workload(workload)
    found = readable_points(workspace, [target] if target else None)
    seen: set[str] = set()
    matches: list[FoundEntry] = []
    for row in found.rows:
        if row.point.id in seen or (workload and row.point.workload != workload):
            continue
        seen.add(row.point.id)
        browser = point_browser(workspace, row.target)
        with browser.reading():
            matches += [FoundEntry(row, entry) for entry in browser.point_entries(row.point.id)
                        if _glob_matches(pattern, entry)]
    return matches, found


def _glob_matches(pattern: str, entry: PointEntry) -> bool:
    """fnmatch rules (``*`` also crosses ``/``): the name; with a ``/``, the path, anchored
    at the root when the pattern starts with one, else at any folder (``data/*.txt``)."""
    if pattern.startswith("/"):
        return fnmatch.fnmatchcase(entry.path, pattern)
    if "/" in pattern:
        return fnmatch.fnmatchcase(entry.path, "*/" + pattern)
    return fnmatch.fnmatchcase(entry.name, pattern)


@dataclass(frozen=True)
class PointComparison:
    target: str
    old: PointRow
    new: PointRow
    changes: list[EntryChange]

    def as_dict(self) -> dict[str, Any]:
        counts = {kind: sum(c.kind == kind for c in self.changes) for kind in CHANGE_KINDS}
        return {"format_version": FORMAT_VERSION, "target": self.target, "old": self.old.as_dict(),
                "new": self.new.as_dict(), "summary": {**counts, **self.sizes()},
                "changes": [change_dict(c) for c in self.changes]}

    def sizes(self) -> dict[str, int]:
        """Bytes of the files added and removed (a type change counts as both)."""
        added = sum(c.new.size for c in self.changes if c.new and c.kind in ("added", "type"))
        removed = sum(c.old.size for c in self.changes if c.old and c.kind in ("removed", "type"))
        return {"added_bytes": added, "removed_bytes": removed}


def compare_points(workspace: Workspace, old: str, new: str, *, target: str | None = None) -> PointComparison:
    """The changes from point ``old`` to point ``new``, read in one target holding both."""
    found = readable_points(workspace, [target] if target else None)
    old_rows, new_rows = match_point(found, old), match_point(found, new)
    common = [r for r in old_rows if r.target in {n.target for n in new_rows}]
    if not common:
        raise UsageError(f"points {old_rows[0].point.id[:8]} and {new_rows[0].point.id[:8]} are in no common target",
                         hint="diff compares two points of one repository; copy them into one with a replica")
    first, name = common[0], common[0].target
    second = next(r for r in new_rows if r.target == name)
    browser = point_browser(workspace, name)
    with browser.reading():
        return PointComparison(name, first, second, list(browser.point_changes(first.point.id, second.point.id)))


def dump_file(workspace: Workspace, row: PointRow, path: str, out: BinaryIO) -> int:
    """Write one file of a point to ``out``; returns its size. A folder is a usage error."""
    browser = point_browser(workspace, row.target)
    with browser.reading():
        entry = browser.point_entry(row.point.id, path)
        if entry.type != "file":
            raise UsageError(f"{entry.path} is a {'folder' if entry.type == 'dir' else entry.type}, not a file",
                             hint=f"list it with: bkctl ls {row.point.workload} {entry.path}")
        content = browser.open_point_file(row.point.id, path)
        written = 0
        while written < content.size:
            block = content.read(written, DUMP_BLOCK)
            if not block:
                break
            out.write(block)
            written += len(block)
    return written


@contextmanager
def browsing(workspace: Workspace, workload: str, *,
             target: str | None) -> Iterator[tuple[list[PointRow], PointBrowser]]:
    """A workload's points in one target and the browser to read them, for a mount's lifetime
    (the repository's shared lock is held the whole time, so no reclaim deletes their data)."""
    workspace.check_workload(workload)
    name = target or workspace.manifest.workloads[workload].targets[0]
    browser = point_browser(workspace, name)
    host = workspace.host_of(workload)
    rows = [r for r in list_points(workspace, workload=workload, target=name) if r.point.host == host]
    with browser.reading():
        yield rows, browser


def entry_dict(entry: PointEntry) -> dict[str, Any]:
    mtime = datetime.fromtimestamp(entry.mtime_ns / 1e9, UTC).isoformat()
    return {"path": entry.path, "type": entry.type, "mode": f"{entry.mode:04o}", "size": entry.size,
            "mtime": mtime, "uid": entry.uid, "gid": entry.gid, "user": entry.user, "group": entry.group,
            **({"link_target": entry.link_target} if entry.type == "symlink" else {})}


def change_dict(change: EntryChange) -> dict[str, Any]:
    """One change for JSON; ``type`` is the entry's type now (before, when it was removed)."""
    kind = change.new.type if change.new is not None else change.old.type if change.old is not None else ""
    return {"change": change.kind, "path": change.path, "type": kind,
            "old_size": change.old.size if change.old else None, "new_size": change.new.size if change.new else None}


