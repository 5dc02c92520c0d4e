"""Run records inside a repository: ``runs/<32 hex>``, sealed JSON, appended and compacted.

Each apply appends one object per target it touched, holding one record: what ran, the
outcome, the duration, the bytes (bkctl.model.runs). Objects are immutable, so readers
cache them like point documents, and observing a target costs one listing plus the
objects not yet cached.

Bounded: when more than ``COMPACT_AT`` objects exist, the writer folds all it read into
one object that keeps the newest ``KEEP_RECORDS`` records plus the newest drill of each
workload (the planner needs it to know when the next drill is due, however long ago it
ran), writes it, and only then deletes the objects it folded in. A crash between the two
leaves duplicates, which readers drop by record id; two writers compacting at once each
delete only what they read, so no record is lost.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable

from bkctl.errors import RepositoryCorruptError
from bkctl.model.runs import RUN_RECORD_VERSION, RunRecord
from bkctl.repo.repository import Repository

__all__ = ["append_run", "read_runs", "new_run_id", "COMPACT_AT", "KEEP_RECORDS"]

_AD = b"bkctl-run"
PREFIX = "runs/"
COMPACT_AT = 32
"""Objects before a writer compacts: ~32 small gets on a cold cache, a few KiB each."""
KEEP_RECORDS = 200
"""Records kept by compaction: at a run every 15 minutes, two days of history; daily, half a year."""


def new_run_id() -> str:
    return secrets.token_hex(16)


def append_run(repository: Repository, record: RunRecord) -> None:
    """Store ``record`` as a new object, then compact when too many objects have piled up."""
    _write(repository, f"{PREFIX}{record.id}", [record])
    names = sorted(repository.store.list(PREFIX))
    if len(names) > COMPACT_AT:
        _compact(repository, names)


def read_runs(repository: Repository) -> list[RunRecord]:
    """Every record the repository holds, oldest first, each once; damaged objects are skipped."""
    loaded = repository.load_objects(PREFIX, lambda name, raw: _decode(repository, name, raw))
    return _unique(record for records in loaded.values() for record in records)


def _compact(repository: Repository, names: list[str]) -> None:
    loaded = repository.load_objects(PREFIX, lambda name, raw: _decode(repository, name, raw), names=names)
    records = _unique(record for records in loaded.values() for record in records)
    kept = _bounded(records)
    _write(repository, f"{PREFIX}{new_run_id()}", kept)
    for name in loaded:
        repository.store.delete(name)
        repository.cache.delete(name)


def _bounded(records: list[RunRecord]) -> list[RunRecord]:
    """The newest KEEP_RECORDS records, plus the newest drill of every workload."""
    kept = {record.id: record for record in records[-KEEP_RECORDS:]}
    newest_drill: dict[str, RunRecord] = {}
    for record in records:
        for step in record.steps:
            if step.drill is not None and step.workload:
                newest_drill[step.workload] = record
    kept.update({record.id: record for record in newest_drill.values()})
    return _unique(kept.values())


def _unique(records: Iterable[RunRecord]) -> list[RunRecord]:
    chosen: dict[str, RunRecord] = {}
    for record in records:
        chosen.setdefault(record.id, record)
    return sorted(chosen.values(), key=lambda r: (r.time, r.id))


def _write(repository: Repository, name: str, records: list[RunRecord]) -> None:
    document = {"version": RUN_RECORD_VERSION, "records": [r.model_dump(mode="json") for r in records]}
    raw = repository.key.seal(json.dumps(document, sort_keys=True, separators=(",", ":")).encode(), _AD)
    repository.store.put(name, raw)


def _decode(repository: Repository, name: str, raw: bytes) -> list[RunRecord]:
    body = repository.key.open(raw, _AD, what=f"run record {name}")
    try:
        document = json.loads(body)
        return [RunRecord.model_validate(item) for item in document["records"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise RepositoryCorruptError(f"run record {name} is unreadable: {exc}") from None
