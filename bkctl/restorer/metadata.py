"""Applying stored metadata (owner, mode, mtime) to restored entries.

Ownership only as root (anyone else cannot give files away). Symlinks get owner and
mtime but no mode: Linux has no lchmod, and a symlink's mode means nothing.
"""

from __future__ import annotations

import os
from functools import cache

from bkctl.repo.tree import Node

__all__ = ["apply_file_metadata", "apply_folder_metadata", "apply_metadata", "creation_mode", "current_umask"]


@cache
def _as_root() -> bool:
    return os.geteuid() == 0  # asked once: a system call per restored file otherwise


def current_umask() -> int | None:
    """The process's umask, read without setting it (``os.umask`` would change it for a
    moment under other threads); None where /proc does not say (then nothing is skipped)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        return None
    return None


def creation_mode(node: Node, umask: int | None) -> int | None:
    """The mode to create a file with so that it needs no ``fchmod`` afterwards, or None.

    Only plain permission bits the umask leaves alone: set-id bits must come after the
    ownership change (which clears them), and a masked bit needs the chmod anyway. With
    many small files the chmod was one of six system calls per file.
    """
    mode = node.get("mode")
    if not isinstance(mode, int) or umask is None or mode & ~0o777 or mode & umask:
        return None
    return mode


def apply_file_metadata(fd: int, node: Node, *, mode_set: bool = False) -> None:
    """Through the descriptor of a file just written: no further path lookups.
    ``mode_set``: the file was created with its mode (:func:`creation_mode`)."""
    if _as_root() and "uid" in node:
        os.fchown(fd, node["uid"], node["gid"])
    if not mode_set:
        os.fchmod(fd, node["mode"])
    if "mtime_ns" in node:
        os.utime(fd, ns=(node["mtime_ns"], node["mtime_ns"]))


def apply_metadata(path: str, node: Node) -> None:
    link = node["type"] == "symlink"
    if _as_root() and "uid" in node:
        os.lchown(path, node["uid"], node["gid"])
    if not link:
        os.chmod(path, node["mode"])
    if "mtime_ns" in node:
        os.utime(path, ns=(node["mtime_ns"], node["mtime_ns"]), follow_symlinks=not link)


def apply_folder_metadata(path: str, node: Node) -> None:
    """Through a descriptor (O_NOFOLLOW): one path lookup instead of three, and never via a symlink."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        apply_file_metadata(fd, node)
    finally:
        os.close(fd)
