"""Turning ``lstat`` results into tree nodes (see :mod:`bkctl.repo.tree` for fields)."""

from __future__ import annotations

import grp
import os
import pwd
import stat
from collections.abc import Sequence
from functools import lru_cache

from bkctl.repo.tree import Node

__all__ = ["node_from_stat", "unchanged"]

_TYPES = {
    stat.S_IFDIR: "dir", stat.S_IFREG: "file", stat.S_IFLNK: "symlink",
    stat.S_IFIFO: "fifo", stat.S_IFCHR: "chardev", stat.S_IFBLK: "blockdev",
}


@lru_cache(maxsize=1024)
def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return ""


@lru_cache(maxsize=1024)
def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return ""


def node_from_stat(name: str, st: os.stat_result, path: str) -> Node | None:
    """A node without content; None for kinds a backup cannot keep (sockets)."""
    kind = _TYPES.get(stat.S_IFMT(st.st_mode))
    if kind is None:
        return None
    node: Node = {
        "name": name, "type": kind, "mode": stat.S_IMODE(st.st_mode),
        "uid": st.st_uid, "gid": st.st_gid, "user": _user(st.st_uid), "group": _group(st.st_gid),
        "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "inode": st.st_ino,
        "size": st.st_size if kind == "file" else 0,
    }
    if kind == "symlink":
        node["target"] = os.readlink(path)
    elif kind in ("chardev", "blockdev"):
        node["rdev"] = st.st_rdev
    if kind != "dir" and st.st_nlink > 1:
        node["hardlink"] = f"{st.st_dev}:{st.st_ino}"
    return node


def unchanged(node: Node, parent: Sequence[object] | None) -> bool:
    """The incremental test: same size, mtime, ctime and inode as in the parent point.

    ``parent`` is those four of the parent file (:func:`bkctl.archiver.filerecord.record_fields`;
    the file map holds files only, so the type needs no test).
    """
    # Spelled out rather than looped: this runs once per file on every backup.
    return (
        parent is not None
        and node["size"] == parent[0] and node["mtime_ns"] == parent[1]
        and node["ctime_ns"] == parent[2] and node["inode"] == parent[3]
    )
