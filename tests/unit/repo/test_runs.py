"""Run records in a repository: sealed, appended, read back in order, compacted within bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bkctl.model.runs import DrillResult, RunRecord, RunStep
from bkctl.repo import Repository
from bkctl.repo.runs import COMPACT_AT, KEEP_RECORDS, append_run, read_runs
from bkctl.secrets import Secret
from bkctl.store.memory import MemoryStore

START = datetime(2026, 1, 1, tzinfo=UTC)


def record(number: int, *, drill: bool = False) -> RunRecord:
    time = START + timedelta(hours=number)
    result = DrillResult(point="p" * 32, point_time=time, seconds=2.5) if drill else None
    step = RunStep(kind="drill" if drill else "backup", workload="docs", ok=True, seconds=1.0, bytes=number,
                   drill=result)
    return RunRecord(id=f"{number:032x}", time=time, host="h", target="local", seconds=1.0, steps=(step,))


def repository() -> Repository:
    return Repository.init(MemoryStore(), Secret("pw"), cache_dir=None)


def test_records_are_sealed_and_read_back_oldest_first() -> None:
    repo = repository()
    for number in (2, 0, 1):
        append_run(repo, record(number))
    assert [r.id for r in read_runs(repo)] == [record(n).id for n in (0, 1, 2)]
    raw = repo.store.get(next(iter(repo.store.list("runs/"))))
    assert b"docs" not in raw and b"backup" not in raw


def test_compaction_bounds_objects_and_records_but_keeps_the_newest_drill() -> None:
    repo = repository()
    append_run(repo, record(0, drill=True))
    for number in range(1, KEEP_RECORDS + 60):
        append_run(repo, record(number))
    assert len(list(repo.store.list("runs/"))) <= COMPACT_AT
    kept = read_runs(repo)
    assert len(kept) <= KEEP_RECORDS + COMPACT_AT + 1
    assert kept[0].id == record(0).id and kept[0].steps[0].drill is not None  # the only drill survives
    assert kept[-1].id == record(KEEP_RECORDS + 59).id
