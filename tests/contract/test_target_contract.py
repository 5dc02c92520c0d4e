"""One conformance suite that every Target driver must pass.

A new driver joins with one line: a factory in WORKING (a target that stores points) or in
UNREACHABLE (a target that observes as unreachable and refuses every action). The sources
used are the real ones (files, a command's output), so the suite also pins the seam where
a driver opens a source and commits what it yields.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bkctl.errors import BkctlError, ExitCode, NotFoundError, UsageError
from bkctl.model.state import PointRecord, TargetState, fingerprint_points
from bkctl.model.target import TapeTarget
from bkctl.observe import observe
from bkctl.secrets import Secret
from bkctl.sources.base import Source
from bkctl.sources.command import CommandFailedError, CommandSource
from bkctl.sources.files import FilesSource
from bkctl.store import LocalStore, MemoryStore
from bkctl.store.append_only import AppendOnlyStore
from bkctl.targets.base import BackupJob, ReclaimResult, Target
from bkctl.targets.repository import RepositoryTarget
from bkctl.targets.tape import TapeDriver
from bkctl.targets.unavailable import UnavailableTarget

TargetFactory = Callable[[Path, str], Target]
"""(a private folder, a target name) -> a driver; each name gives a separate, empty target."""


def append_only_target(folder: Path, name: str) -> RepositoryTarget:
    """A disk target with ``append_only: true`` opened with its owner key: it must behave as any other."""
    store = AppendOnlyStore(LocalStore(folder / name), target=name)
    return RepositoryTarget(name, store, Secret("contract"), folder / "cache", append_only=store)


WORKING: dict[str, TargetFactory] = {
    "repository-append-only": append_only_target,
    "repository-local": lambda folder, name: RepositoryTarget(
        name, LocalStore(folder / name), Secret("contract"), folder / "cache"),
    "repository-memory": lambda folder, name: RepositoryTarget(
        name, MemoryStore(), Secret("contract"), folder / "cache"),
    "tape": lambda folder, name: TapeDriver(
        name, TapeTarget(type="tape", library=name, media="test", cartridges=4), folder / name, {},
        Secret("contract")),
}
RECYCLING = {"tape"}
"""Drivers whose storage is recycled whole (tape cartridges) rather than freed by reclaim:
deleting points prunes them from the catalog and ``reclaim`` deletes nothing; the space
comes back when a write needs a cartridge (tests/e2e/test_tape_recycling.py covers it)."""
UNREACHABLE: dict[str, TargetFactory] = {
    "unavailable": lambda folder, name: UnavailableTarget(name, "the library is switched off"),
}


class RecordingProgress:
    """A real Progress: counts what it is told."""

    def __init__(self) -> None:
        self.advanced = 0
        self.files: list[str] = []
        self.totals: list[tuple[int, int]] = []

    def advance(self, nbytes: int) -> None:
        self.advanced += nbytes

    def file(self, path: str) -> None:
        self.files.append(path)

    def total(self, files: int, nbytes: int) -> None:
        self.totals.append((files, nbytes))


@pytest.fixture(params=sorted(WORKING))
def make_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], Target]]:
    made: list[Target] = []

    def make(name: str) -> Target:
        made.append(WORKING[request.param](tmp_path / "targets", name))
        return made[-1]

    yield make
    for driver in made:
        driver.close()


@pytest.fixture
def target(make_target: Callable[[str], Target]) -> Target:
    return make_target("primary")


@pytest.fixture
def ready(target: Target) -> Target:
    target.init()
    return target


@pytest.fixture(params=sorted(UNREACHABLE))
def unreachable(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    return UNREACHABLE[request.param](tmp_path / "targets", "offline")


@pytest.fixture(params=sorted(WORKING | UNREACHABLE))
def any_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    driver = (WORKING | UNREACHABLE)[request.param](tmp_path / "targets", "any")
    yield driver
    driver.close()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("alpha\n" * 1000)
    (folder / "sub" / "b.bin").write_bytes(bytes(range(256)) * 64)
    return folder


def job(source: Source, workload: str = "docs") -> BackupJob:
    return BackupJob(workload=workload, host="contract-host", source=source, compression=3,
                     meta={"type": source.kind})


def files_job(*paths: Path, workload: str = "docs") -> BackupJob:
    return job(FilesSource(tuple(paths)), workload)


def command_job(script: str, workload: str = "dump") -> BackupJob:
    return job(CommandSource(("/bin/sh", "-c", script), 60.0, "dump.sql"), workload)


# -- every driver ------------------------------------------------------------------------

def test_a_driver_implements_every_member_of_the_target_protocol(any_target: Target) -> None:
    members = [name for name, _ in inspect.getmembers(Target, inspect.isfunction) if not name.startswith("_")]
    assert members, "the protocol lists no methods"
    assert [name for name in members if not callable(getattr(any_target, name, None))] == []
    assert isinstance(any_target.name, str) and any_target.name == "any"


def observed(target: Target, name: str = "any") -> TargetState:
    """What planning sees of a target: a driver's observe() may raise, bkctl.observe records it."""
    return observe({name: target}, "h").targets[name]


def test_observation_never_fails_and_names_the_target(any_target: Target) -> None:
    state = observed(any_target)
    assert state.name == "any"
    assert state.reachable or (state.error and state.error_code)


def test_close_may_be_called_twice(any_target: Target) -> None:
    any_target.close()
    any_target.close()


# -- targets that store points ---------------------------------------------------------------

def test_a_new_target_observes_as_reachable_and_uninitialised(target: Target) -> None:
    state = target.observe()
    assert (state.reachable, state.initialized, state.points) == (True, False, ())
    assert not target.initialized()


def test_init_is_idempotent(target: Target) -> None:
    target.init()
    target.init()
    state = target.observe()
    assert target.initialized() and state.initialized and state.points == ()


def test_a_backup_returns_the_record_that_points_and_observe_list(ready: Target, data: Path) -> None:
    record = ready.backup(files_job(data))
    assert isinstance(record, PointRecord)
    assert (record.workload, record.host, record.partial) == ("docs", "contract-host", False)
    assert record.bytes == 6000 + 256 * 64 and record.stored_bytes > 0
    assert ready.points() == [record]
    state = ready.observe()
    assert state.points == (record,) and state.fingerprint == fingerprint_points([record])


def test_points_are_listed_oldest_first(ready: Target, data: Path) -> None:
    first = ready.backup(files_job(data))
    second = ready.backup(command_job("printf one"))
    assert [p.id for p in ready.points()] == [first.id, second.id]
    assert first.time <= second.time


def test_a_files_point_restores_below_the_folder(ready: Target, data: Path, tmp_path: Path) -> None:
    record = ready.backup(files_job(data))
    result = ready.restore(record.id, tmp_path / "out", include=[], overwrite=False)
    restored = tmp_path / "out" / data.relative_to("/")
    assert result.files == 2 and result.bytes == record.bytes
    assert (restored / "a.txt").read_text() == "alpha\n" * 1000
    assert (restored / "sub" / "b.bin").read_bytes() == bytes(range(256)) * 64


def test_a_stream_point_restores_byte_for_byte(ready: Target, tmp_path: Path) -> None:
    record = ready.backup(command_job("printf 'create table t (x int);\\n'; head -c 300000 /dev/zero"))
    out = tmp_path / "dump.sql"
    with out.open("wb") as handle:
        size = ready.restore_stream(record.id, handle)
    assert size == record.bytes == len(out.read_bytes()) == 24 + 300000


def test_a_source_that_fails_at_end_of_input_commits_nothing(ready: Target) -> None:
    with pytest.raises(CommandFailedError, match="exited with status 3"):
        ready.backup(command_job("printf 'half a dump'; exit 3"))
    assert ready.points() == []


def test_a_source_that_fails_before_yielding_commits_nothing(ready: Target, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        ready.backup(files_job(tmp_path / "absent"))
    assert ready.points() == []


def test_backup_and_restore_report_progress(ready: Target, data: Path, tmp_path: Path) -> None:
    saving, restoring = RecordingProgress(), RecordingProgress()
    record = ready.backup(files_job(data), saving)
    ready.restore(record.id, tmp_path / "out", include=[], overwrite=False, progress=restoring)
    assert saving.advanced == restoring.advanced == record.bytes
    assert len(saving.files) == len(restoring.files) == 2


def test_backup_and_restore_announce_their_total_before_the_work(ready: Target, data: Path, tmp_path: Path) -> None:
    saving, restoring = RecordingProgress(), RecordingProgress()
    record = ready.backup(files_job(data), saving)
    ready.restore(record.id, tmp_path / "out", include=[], overwrite=False, progress=restoring)
    assert saving.totals == restoring.totals == [(2, record.bytes)]


def test_a_restore_of_an_unknown_point_is_not_found(ready: Target, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as raised:
        ready.restore("0" * 32, tmp_path / "out", include=[], overwrite=False)
    assert raised.value.exit_code == ExitCode.NOT_FOUND


def test_delete_points_removes_only_those_named(ready: Target, data: Path) -> None:
    first = ready.backup(files_job(data))
    second = ready.backup(files_job(data, workload="other"))
    ready.delete_points([first.id])
    assert ready.points() == [second]


def recycles(request: pytest.FixtureRequest) -> bool:
    return request.node.callspec.params["make_target"] in RECYCLING


def test_reclaim_after_a_delete_marks_then_frees_space_and_keeps_the_rest_restorable(
        ready: Target, data: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    doomed = ready.backup(command_job("head -c 2000000 /dev/urandom"))
    kept = ready.backup(files_job(data))
    ready.delete_points([doomed.id])
    marked = ready.reclaim()  # two-phase: this run marks, a later one deletes
    assert isinstance(marked, ReclaimResult)
    if recycles(request):  # nothing is freed by reclaim: the cartridge is recycled when needed
        assert marked.bytes_freed == marked.bytes_marked == 0 and "recyclable" in marked.describe()
    else:
        assert marked.bytes_marked >= 2_000_000 and marked.bytes_freed == 0
    assert ready.verify(100.0).ok
    freed = ready.reclaim(immediate=True)  # no backup runs: delete at once
    assert freed.bytes_freed >= (0 if recycles(request) else 2_000_000)
    assert ready.verify(100.0).ok
    assert [p.id for p in ready.points()] == [kept.id]
    assert ready.restore(kept.id, tmp_path / "out", include=[], overwrite=False).files == 2
    with pytest.raises(NotFoundError):
        ready.restore(doomed.id, tmp_path / "gone", include=[], overwrite=False)


def test_verify_of_an_intact_target_reads_its_data(ready: Target, data: Path) -> None:
    ready.backup(files_job(data))
    progress = RecordingProgress()
    result = ready.verify(100.0, progress)
    assert result.ok and result.problems == [] and result.damaged_points == []
    assert result.packs_read >= 1 and progress.advanced > 0
    assert len(progress.totals) == 1 and progress.totals[0][0] == result.packs_read == len(progress.files)
    assert 0 < progress.totals[0][1] <= progress.advanced


def test_a_copy_keeps_the_point_ids(make_target: Callable[[str], Target], data: Path) -> None:
    source, replica = make_target("primary"), make_target("replica")
    source.init()
    replica.init()
    record = source.backup(files_job(data))
    result = source.copy_points_to(replica, [record.id])
    assert result.points_copied == 1 and result.blobs_new > 0
    assert [p.id for p in replica.points()] == [record.id]
    again = source.copy_points_to(replica, [record.id])
    assert again.points_copied == 0 and len(replica.points()) == 1


def test_a_copy_into_a_target_that_cannot_take_copies_is_refused(ready: Target, unreachable: Target,
                                                                   data: Path) -> None:
    record = ready.backup(files_job(data))
    with pytest.raises(UsageError):
        ready.copy_points_to(unreachable, [record.id])


# -- targets that cannot be reached ---------------------------------------------------------

def test_an_unreachable_target_observes_with_its_reason(unreachable: Target) -> None:
    state = observed(unreachable, "offline")
    assert (state.reachable, state.initialized, state.points) == (False, False, ())
    assert state.error and state.token() == "unreachable"


def test_every_action_on_an_unreachable_target_fails_as_unreachable(unreachable: Target, data: Path,
                                                                     tmp_path: Path) -> None:
    actions: dict[str, Callable[[], object]] = {
        "init": unreachable.init,
        "initialized": unreachable.initialized,
        "backup": lambda: unreachable.backup(files_job(data)),
        "points": unreachable.points,
        "restore": lambda: unreachable.restore("0" * 32, tmp_path / "out", include=[], overwrite=False),
        "restore_stream": lambda: unreachable.restore_stream("0" * 32, io.BytesIO()),
        "delete_points": lambda: unreachable.delete_points(["0" * 32]),
        "copy_points_to": lambda: unreachable.copy_points_to(unreachable, ["0" * 32]),
        "reclaim": unreachable.reclaim,
        "verify": lambda: unreachable.verify(0.0),
    }
    for name, action in actions.items():
        with pytest.raises(BkctlError) as raised:
            action()
        assert raised.value.exit_code == ExitCode.UNREACHABLE, name
    assert not (tmp_path / "out").exists()
