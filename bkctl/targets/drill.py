"""Restore drills: restore one point into scratch space, check it, and time it (the RTO).

The measured time runs from the start of the restore to the end of the checks: what an
operator waits for before the data is known good. The checks per workload kind:

- files: restored into a temporary folder, then compared entry by entry with the point's
  own tree (bkctl/restorer/compare.py);
- sqlite: restored into a temporary file, opened, ``PRAGMA integrity_check`` must say ok;
- postgres, mariadb: loaded into a temporary database with the real tools, then every
  table's rows counted; the database is dropped afterwards (bkctl/sources/scratch_database.py);
- command, image: streamed into a temporary file whose size must match the point's.

A failed check or a failed restore is a drill result with ``ok`` false, never an exception:
a drill that failed still happened, and the next one waits its interval.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bkctl.errors import BkctlError
from bkctl.model import FilesWorkload, MariadbWorkload, PostgresWorkload, SqliteWorkload, Workload
from bkctl.model.runs import DrillResult
from bkctl.model.state import PointRecord
from bkctl.model.units import format_size
from bkctl.sources.database_restore import restore_into
from bkctl.sources.environment import ChildEnvironment
from bkctl.sources.scratch_database import scratch_database
from bkctl.targets.base import RestoredComparison, Target

__all__ = ["run_drill"]

Check = Callable[[Target, Workload, PointRecord, Path, ChildEnvironment], tuple[bool, list[str]]]


logger = logging.getLogger("bkctl")

def run_drill(driver: Target, spec: Workload, point: PointRecord, environment: ChildEnvironment, *,
              objective_seconds: float | None, clock: Callable[[], float] = time.monotonic) -> DrillResult:
    """Restore ``point`` from ``driver`` into scratch space, check it, and measure the time."""
    scratch = Path(tempfile.mkdtemp(prefix="bkctl-drill-"))
    started = clock()
    try:
        ok, checks = _check_for(spec)(driver, spec, point, scratch, environment)
    except BkctlError as error:
        ok, checks = False, [f"restore failed: {error.message}"]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return DrillResult(point=point.id, point_time=point.time, seconds=round(clock() - started, 3),
                       objective_seconds=objective_seconds, checks=tuple(checks), ok=ok)


def _check_for(spec: Workload) -> Check:
    if isinstance(spec, FilesWorkload):
        return _files
    if isinstance(spec, SqliteWorkload):
        return _sqlite
    if isinstance(spec, PostgresWorkload | MariadbWorkload):
        return _database
    return _stream


def _files(driver: Target, spec: Workload, point: PointRecord, scratch: Path,
           environment: ChildEnvironment) -> tuple[bool, list[str]]:
    restored = driver.restore(point.id, scratch, include=[], overwrite=False)
    if not isinstance(driver, RestoredComparison):
        return True, [f"{restored.files} files restored ({format_size(restored.bytes)}); no tree to compare"]
    comparison = driver.compare_restored(point.id, scratch)
    summary = (f"{comparison.entries} entries compared with the point's tree "
               f"({comparison.files} files, {format_size(comparison.bytes)})")
    if comparison.differences:
        # Run records are readable with any key, writers' too: file names stay out of them.
        for difference in comparison.differences:
            logger.warning("drill of %s: %s", point.id[:8], difference)
        count = len(comparison.differences)
        return False, [summary, f"{count} entr{'y' if count == 1 else 'ies'} differ from the point "
                                "(named in this run's output; `bkctl restore` and `bkctl diff` show them)"]
    return comparison.ok, [summary]


def _sqlite(driver: Target, spec: Workload, point: PointRecord, scratch: Path,
            environment: ChildEnvironment) -> tuple[bool, list[str]]:
    path = scratch / "drill.sqlite"
    with open(path, "wb") as out:
        driver.restore_stream(point.id, out)
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        verdict = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        tables = [row[0] for row in connection.execute("select name from sqlite_master where type = 'table'")]
    except sqlite3.DatabaseError as error:
        return False, [f"sqlite cannot open the restored database: {error}"]
    finally:
        connection.close()
    ok = verdict == ["ok"]
    return ok, [f"PRAGMA integrity_check: {'ok' if ok else '; '.join(verdict[:5])}", f"{len(tables)} tables"]


def _database(driver: Target, spec: Workload, point: PointRecord, scratch: Path,
              environment: ChildEnvironment) -> tuple[bool, list[str]]:
    with scratch_database(spec, environment) as database:
        restore_into(spec, database.dsn, lambda out: driver.restore_stream(point.id, out), environment=environment)
        counts = database.row_counts()
    rows = [f"{table}: {count} rows" for table, count in sorted(counts.items())]
    return True, [f"restored into a temporary database: {len(counts)} tables, {sum(counts.values())} rows", *rows]


def _stream(driver: Target, spec: Workload, point: PointRecord, scratch: Path,
            environment: ChildEnvironment) -> tuple[bool, list[str]]:
    with open(scratch / "drill.stream", "wb") as out:
        size = driver.restore_stream(point.id, out)
    ok = not point.bytes or size == point.bytes
    return ok, [f"{format_size(size)} restored" + ("" if ok else f", the point recorded {point.bytes} bytes")]
