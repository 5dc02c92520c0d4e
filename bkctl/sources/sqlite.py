"""SQLite workloads: a consistent copy through the online backup API, checked, then streamed.

Copying the file with ``cp`` while a writer commits can capture half a transaction (and
misses the WAL). The online backup API copies pages under SQLite's own locking, in steps
so that writers keep writing between them. SQLite restarts a stepped backup whenever
another connection writes, so under a constant stream of commits it might never finish:
after ``MAX_RESTARTS`` restarts we copy in one step, which holds a read lock only for the
time of one copy (in WAL mode writers still proceed; in rollback mode they wait that long).

The copy lives in a private (0700) temporary folder, must pass ``PRAGMA integrity_check``
before anything reaches the repository, and is deleted whatever happens.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bkctl.errors import BkctlError, NotFoundError
from bkctl.sources.base import Facts, Items, StreamItem

__all__ = ["SqliteSource", "SqliteCopyError", "copy_database", "PAGES_PER_STEP", "MAX_RESTARTS"]

PAGES_PER_STEP = 1024
"""4 MiB per step with 4 KiB pages: a step takes milliseconds, so a writer waits at most that long."""

MAX_RESTARTS = 5
"""A writer that committed during five passes will likely commit during the sixth too."""


class SqliteCopyError(BkctlError):
    reference = "sqlite-copy-failed"


class _TooManyRestarts(Exception):
    """Raised from the progress callback to abandon the stepped copy."""


class _RestartCounter:
    """Progress callback counting restarts: a completed step after which no fewer pages remain."""

    def __init__(self) -> None:
        self.remaining: int | None = None
        self.restarts = 0

    def __call__(self, status: int, remaining: int, total: int) -> None:
        if status != sqlite3.SQLITE_OK:
            return  # busy or locked: Python sleeps and retries; not a restart
        if self.remaining is not None and remaining >= self.remaining:
            self.restarts += 1
            if self.restarts > MAX_RESTARTS:
                raise _TooManyRestarts
        self.remaining = remaining


def _copy(source: sqlite3.Connection, copy: sqlite3.Connection) -> int:
    """Stepped copy, falling back to a one-step copy; returns the number of restarts."""
    counter = _RestartCounter()
    try:
        source.backup(copy, pages=PAGES_PER_STEP, progress=counter, sleep=0.001)
    except _TooManyRestarts:
        source.backup(copy, pages=-1, sleep=0.001)
    return counter.restarts


def copy_database(database: Path, destination: Path) -> Facts:
    """Copy ``database`` consistently into ``destination`` and check the copy; returns facts for meta."""
    if not database.is_file():
        raise NotFoundError(f"SQLite database {database} does not exist")
    try:
        # mode=rw: never create an empty database where the real one is missing. A short busy
        # timeout hands SQLITE_BUSY back to Python's backup loop, which retries every
        # millisecond and so catches the gaps between a busy writer's commits; SQLite's own
        # busy handler backs off to 100 ms sleeps and was measured to stall 5 s per step.
        source = sqlite3.connect(f"{database.resolve().as_uri()}?mode=rw", uri=True, timeout=0.05)
        copy = sqlite3.connect(destination)
        try:
            restarts = _copy(source, copy)
            check = copy.execute("PRAGMA integrity_check").fetchall()
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
        finally:
            copy.close()
            source.close()
    except sqlite3.Error as error:
        raise SqliteCopyError(f"cannot copy SQLite database {database}: {error}") from None
    if check != [("ok",)]:
        first = "; ".join(str(row[0]) for row in check[:3])
        raise SqliteCopyError(f"the copy of {database} fails PRAGMA integrity_check: {first}",
                              hint="the source database may be damaged; run PRAGMA integrity_check on it")
    return {"sqlite_version": sqlite3.sqlite_version, "pages": pages, "copy_restarts": restarts}


@dataclass(frozen=True)
class SqliteSource:
    """Backs up one SQLite database file as one stream item named like the file."""

    path: Path
    kind: str = "sqlite"

    @contextmanager
    def open(self, workload: str) -> Iterator[Items]:
        """Copy and check, then yield the copy; a failed check or copy yields nothing."""
        with tempfile.TemporaryDirectory(prefix="bkctl-sqlite-") as folder:  # created 0700
            copy = Path(folder) / self.path.name
            facts = copy_database(self.path, copy)
            with copy.open("rb") as stream:
                yield StreamItem(self.path.name, stream, {**facts, "path": str(self.path)})
