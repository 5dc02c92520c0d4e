"""Named crash points: places inside the engine where a test can kill the process.

Timed SIGKILLs mostly land in start-up; a crash point lands exactly where the
crash-safety argument needs checking. ``BKCTL_CRASH_AT=NAME`` kills the process
(SIGKILL, no clean-up, like a power cut) the first time it reaches ``NAME``;
``NAME@N`` on the N-th time; several may be given separated by commas. Unset, a crash
point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
import threading

__all__ = ["CRASH_POINTS", "crash_point"]

CRASH_POINTS = (
    "after-pack-upload",        # a pack is stored, its index entries are not
    "after-index-write",        # an index object is stored, the point document is not
    "before-point-commit",      # the commit checks passed, the point document is not written
    "after-point-commit",       # the point is stored, the local cache is not updated
    "reclaim-after-repack",     # repacked copies are stored and indexed, nothing is marked yet
    "reclaim-after-mark",       # a mark is written, the locks it waits for are not recorded
    "reclaim-after-index",      # the consolidated index is written, old index objects remain
    "reclaim-mid-delete",       # a marked pack is deleted; other packs and the mark remain
    "repair-after-index",       # a rebuilt index is written, old index objects remain
    "rotate-after-grants",      # every key is granted the new epoch, the config still names the old one
    "reencrypt-after-pack",     # one old pack is re-encrypted and indexed, it and the rest remain
    "reencrypt-after-packs",    # old packs are deleted, points and marks are sealed under the old epoch
    "upgrade-before-config",    # a format 3 owner key and its grant exist, the config is still format 2
)

_hits: dict[str, int] = {}
_lock = threading.Lock()


def crash_point(name: str) -> None:
    """Kill this process here when the environment asks for it."""
    wanted = os.environ.get("BKCTL_CRASH_AT")
    if not wanted:
        return
    with _lock:
        count = _hits[name] = _hits.get(name, 0) + 1
    for item in wanted.split(","):
        point, _, nth = item.strip().partition("@")
        if point == name and count == (int(nth) if nth else 1):
            os.kill(os.getpid(), signal.SIGKILL)
