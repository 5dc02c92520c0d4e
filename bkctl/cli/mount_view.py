"""The read-only file system ``bkctl mount`` shows: a workload's points as folders.

Layout, like restic's mount::

    MOUNTPOINT/ids/ab12cd34/...                   one folder per point, by short id
    MOUNTPOINT/points/2026-05-01T12:00:00Z/...    the same points, by time (UTC)
    MOUNTPOINT/latest -> points/<newest time>

Inside a point folder is the point as ``bkctl ls`` lists it (``/etc/hosts`` of a point
is ``points/TIME/etc/hosts``). The class speaks mfusepy's operations protocol (method
names, ``use_ns``, errors as ``OSError(errno)``) without importing it, so it needs no
FUSE to load or test. The points are those that existed when the mount started.
Every error becomes an errno for the reader: a missing path ENOENT, a write EROFS,
damaged data EIO (and a line on stderr naming it), never a traceback.
"""

from __future__ import annotations

import errno
import os
import stat
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bkctl.cli.console import err
from bkctl.errors import BkctlError, NotFoundError

if TYPE_CHECKING:  # annotations only: bkctl.operations loads its submodules on first use
    from bkctl.operations import PointBrowser, PointEntry, PointFile, PointRow

__all__ = ["PointsView", "folder_names"]

CACHED_ENTRIES = 100_000  # entries kept for getattr (about 300 bytes each)
_TYPE_BITS = {"dir": stat.S_IFDIR, "file": stat.S_IFREG, "symlink": stat.S_IFLNK, "fifo": stat.S_IFIFO,
              "chardev": stat.S_IFCHR, "blockdev": stat.S_IFBLK}


def folder_names(rows: list[PointRow]) -> tuple[dict[str, PointRow], dict[str, PointRow]]:
    """Folder name -> point, by short id and by time; a clash adds the id (never hides a point)."""
    by_id: dict[str, PointRow] = {}
    by_time: dict[str, PointRow] = {}
    short = [row.point.id[:8] for row in rows]
    for row in rows:
        by_id[row.point.id[:8] if short.count(row.point.id[:8]) == 1 else row.point.id] = row
        name = row.point.time.strftime("%Y-%m-%dT%H:%M:%SZ")
        by_time[name if name not in by_time else f"{name}-{row.point.id[:8]}"] = row
    return by_id, by_time


class PointsView:
    """mfusepy operations over a workload's points; single-threaded (mounted with ``nothreads``)."""

    use_ns = True

    def __init__(self, rows: list[PointRow], browser: PointBrowser, *, ready: Callable[[], None]) -> None:
        self._browser = browser
        self._ready = ready
        self._folders = dict(zip(("ids", "points"), folder_names(rows), strict=True))
        self._latest = next(reversed(self._folders["points"]), None)
        self._entries: OrderedDict[tuple[str, str], PointEntry] = OrderedDict()
        self._files: dict[int, PointFile] = {}
        self._next_handle = 1
        newest = int(max(row.point.time for row in rows).timestamp() * 1e9) if rows else 0
        # the folders above the points: this user's, dated by the newest point
        self._owner = {"st_uid": os.getuid(), "st_gid": os.getgid(), "st_mtime": newest, "st_ctime": newest,
                       "st_atime": newest}

    def init(self, path: str) -> None:
        self._ready()

    # -- the namespace -----------------------------------------------------------
    def _locate(self, path: str) -> tuple[PointRow | None, str, list[str]]:
        """(point, path inside it, parts): point None for the folders above the points."""
        parts = [part for part in path.split("/") if part]
        if len(parts) >= 2 and parts[0] in self._folders:
            row = self._folders[parts[0]].get(parts[1])
            if row is None:
                raise OSError(errno.ENOENT, path)
            return row, "/" + "/".join(parts[2:]), parts
        return None, "", parts

    def _entry(self, row: PointRow, inner: str) -> PointEntry:
        key = (row.point.id, inner)
        found = self._entries.get(key)
        if found is None:
            found = self._browser.point_entry(row.point.id, inner)
            self._remember(key, found)
        return found

    def _remember(self, key: tuple[str, str], entry: PointEntry) -> None:
        self._entries[key] = entry
        if len(self._entries) > CACHED_ENTRIES:
            self._entries.popitem(last=False)

    # -- operations ------------------------------------------------------------------
    def getattr(self, path: str, fh: int | None = None) -> dict[str, Any]:
        return _translated(lambda: self._getattr(path), path)

    def _getattr(self, path: str) -> dict[str, Any]:
        row, inner, parts = self._locate(path)
        if row is None:
            if parts == ["latest"] and self._latest:
                size = len(f"points/{self._latest}")
                return {"st_mode": stat.S_IFLNK | 0o444, "st_nlink": 1, "st_size": size, **self._owner}
            if len(parts) > 1 or (parts and parts[0] not in self._folders):
                raise OSError(errno.ENOENT, path)
            return {"st_mode": stat.S_IFDIR | 0o555, "st_nlink": 2, **self._owner}
        time_ns = int(row.point.time.timestamp() * 1e9)
        if inner == "/":
            return {**self._owner, "st_mode": stat.S_IFDIR | 0o555, "st_nlink": 2, "st_mtime": time_ns,
                    "st_ctime": time_ns, "st_atime": time_ns}
        entry = self._entry(row, inner)
        return {"st_mode": _TYPE_BITS.get(entry.type, 0) | entry.mode, "st_nlink": 2 if entry.type == "dir" else 1,
                "st_size": len(entry.link_target) if entry.type == "symlink" else entry.size,
                "st_mtime": entry.mtime_ns, "st_ctime": entry.mtime_ns, "st_atime": entry.mtime_ns,
                "st_uid": entry.uid, "st_gid": entry.gid}

    def readdir(self, path: str, fh: int) -> list[str]:
        return _translated(lambda: [".", "..", *self._names(path)], path)

    def _names(self, path: str) -> list[str]:
        row, inner, parts = self._locate(path)
        if row is None:
            if not parts:
                return ["ids", "points", *(["latest"] if self._latest else [])]
            if len(parts) == 1 and parts[0] in self._folders:
                return list(self._folders[parts[0]])
            raise OSError(errno.ENOTDIR, path)
        if inner != "/" and self._entry(row, inner).type != "dir":
            raise OSError(errno.ENOTDIR, path)
        names = []
        for entry in self._browser.point_entries(row.point.id, inner, recursive=False):
            self._remember((row.point.id, entry.path), entry)
            names.append(entry.name)
        return names

    def readlink(self, path: str) -> str:
        return _translated(lambda: self._readlink(path), path)

    def _readlink(self, path: str) -> str:
        row, inner, parts = self._locate(path)
        if row is None:
            if parts == ["latest"] and self._latest:
                return f"points/{self._latest}"
            raise OSError(errno.EINVAL, path)
        entry = self._entry(row, inner)
        if entry.type != "symlink":
            raise OSError(errno.EINVAL, path)
        return entry.link_target

    def open(self, path: str, flags: int) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_TRUNC):
            raise OSError(errno.EROFS, path)
        return _translated(lambda: self._open(path), path)

    def _open(self, path: str) -> int:
        row, inner, _ = self._locate(path)
        if row is None or self._entry(row, inner).type != "file":
            raise OSError(errno.EISDIR if row is None else errno.EINVAL, path)
        handle, self._next_handle = self._next_handle, self._next_handle + 1
        self._files[handle] = self._browser.open_point_file(row.point.id, inner)
        return handle

    def read(self, path: str, size: int, offset: int, fh: int) -> bytes:
        content = self._files.get(fh)
        if content is None:
            raise OSError(errno.EBADF, path)
        return _translated(lambda: bytes(content.read(offset, size)), path)

    def release(self, path: str, fh: int) -> int:
        self._files.pop(fh, None)
        return 0


def _translated(call: Callable[[], Any], path: str) -> Any:
    """Run one operation; bkctl's errors become the errno a reader of ``path`` sees."""
    try:
        return call()
    except OSError:
        raise
    except NotFoundError:
        raise OSError(errno.ENOENT, path) from None
    except BkctlError as error:
        err.print(f"bkctl mount: {path}: {error.message}", markup=False)
        raise OSError(errno.EIO, path) from None
    except Exception as error:  # a bug must not take the mount down or print a traceback
        err.print(f"bkctl mount: {path}: internal error {type(error).__name__}: {error}", markup=False)
        raise OSError(errno.EIO, path) from None
