"""The quick count before a files backup: how many files and bytes the walk will meet.

It exists for the progress bar's total and ETA (restic shows a total that grows while
its scanner runs beside the archiver; here the count comes first). Measured on the
bench corpus's small-file part (19,436 files, 200 MiB, warm cache, this 2-core machine):
the scan takes 0.08 s, against 3.4 s for the first backup and 0.40 s for a no-change one
(2% and 20%, 80 ms either way); a cold cache pays the metadata reads once, and the walk
that follows finds them cached. A scanner thread beside the walk would compete for the
same interpreter lock for little gain, so the count simply comes first, and only when
someone watches (a progress display was given).

It applies the walk's own rules (gitignore-style ``exclude`` prunes folders, ``include``
selects files, ``one_file_system`` stops at mount points) so the total matches what the
walk counts; unreadable folders are skipped silently here, the walk reports them.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bkctl.patterns import compile_patterns
from bkctl.sources.base import PathItems

if TYPE_CHECKING:
    from pathspec import PathSpec

__all__ = ["ScanTotal", "scan"]

logger = logging.getLogger("bkctl")


@dataclass
class ScanTotal:
    files: int = 0
    bytes: int = 0


def scan(items: PathItems) -> ScanTotal:
    """Count the regular files (and their apparent bytes) a backup of ``items`` will read."""
    exclude = compile_patterns(items.exclude)
    include = compile_patterns(items.include)
    total, started = ScanTotal(), time.monotonic()
    for root in items.paths:
        path = os.path.abspath(Path(root))
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode):
            _walk(path, "", st.st_dev, items.one_file_system, exclude, include, total)
        elif stat.S_ISREG(st.st_mode):
            total.files, total.bytes = total.files + 1, total.bytes + st.st_size
    logger.debug("counted %d files (%d bytes) to back up in %.3f s", total.files, total.bytes,
                 time.monotonic() - started)
    return total


def _walk(path: str, relative: str, device: int, one_file_system: bool, exclude: PathSpec | None,
          include: PathSpec | None, total: ScanTotal) -> None:
    """Iterative, as the walk is: a deep tree must not exhaust Python's recursion limit."""
    pending = [(path, relative)]
    while pending:
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as entries:
                found = [(entry.name, entry.stat(follow_symlinks=False)) for entry in entries]
        except OSError:
            continue
        for name, st in found:
            child = f"{prefix}/{name}" if prefix else name
            is_dir = stat.S_ISDIR(st.st_mode)
            if exclude is not None and exclude.match_file(child + ("/" if is_dir else "")):
                continue
            if is_dir:
                if not (one_file_system and st.st_dev != device):
                    pending.append((os.path.join(folder, name), child))
            elif stat.S_ISREG(st.st_mode) and (include is None or include.match_file(child)):
                total.files, total.bytes = total.files + 1, total.bytes + st.st_size
