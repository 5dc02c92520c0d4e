"""Append-only disk targets on a real LocalStore: writer and manager keys add history, only the owner removes it.

Each test starts from a repository the owner initialised with one recovery point, a writer
key and a manager key (made through the Python API, as `bkctl keys add --role` would).
"history" below is every object outside locks/, runs/ and meta/ with its bytes: what a
non-owner run may add to and must never delete or change.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bkctl.errors import ExitCode, KeyRoleError
from bkctl.repo.reclaim import reclaim
from bkctl.repo.repair import repair_index
from bkctl.repo.verify import verify
from bkctl.secrets import Secret
from bkctl.sources.files import FilesSource
from bkctl.store import LocalStore
from bkctl.store.append_only import MUTABLE, AppendOnlyStore
from bkctl.targets.base import BackupJob
from bkctl.targets.repository import RepositoryTarget

HOST = "web-01"
History = dict[str, bytes]
Open = Callable[[str], RepositoryTarget]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "a.txt").write_text("alpha\n" * 1000)
    return folder


@pytest.fixture
def disk(tmp_path: Path, data: Path) -> Iterator[Open]:
    """Open the append-only target with a passphrase; the owner ("owner") made it, with writer and manager keys."""
    opened: list[RepositoryTarget] = []

    def open_as(passphrase: str) -> RepositoryTarget:
        store = AppendOnlyStore(LocalStore(tmp_path / "repo"), target="local")
        opened.append(RepositoryTarget("local", store, Secret(passphrase), tmp_path / f"cache-{passphrase}",
                                       append_only=store))
        return opened[-1]

    owner = open_as("owner")
    owner.init()
    owner.backup(job(data, "seed"))  # another workload: a writer cannot read an owner's point as its parent
    owner.repository().add_key(Secret("writer"), role="writer", host=HOST)
    owner.repository().add_key(Secret("manager"), role="manager")
    owner.close()
    yield open_as
    for target in opened:
        target.close()


def job(data: Path, workload: str = "docs") -> BackupJob:
    return BackupJob(workload=workload, host=HOST, source=FilesSource((data,)), compression=3)


def history(target: RepositoryTarget) -> History:
    store = target.store
    return {name: store.get(name) for name in store.list() if not name.startswith(MUTABLE)}


def kept(before: History, after: History) -> bool:
    """Whether every object of ``before`` is still there, byte for byte."""
    return all(after.get(name) == raw for name, raw in before.items())


def test_a_writer_keeps_backing_up_and_never_removes_or_changes_an_object(disk: Open, data: Path) -> None:
    writer = disk("writer")
    assert writer.observe().append_only_role == "writer"
    before = history(writer)
    for round_ in range(2):
        (data / f"new-{round_}.txt").write_text(f"change {round_}\n" * 500)
        writer.backup(job(data))
    after = history(writer)
    assert len(writer.points()) == 3
    assert kept(before, after) and len(after) > len(before)


@pytest.mark.parametrize("role", ["writer", "manager"])
def test_prune_forget_reclaim_and_repair_without_the_owner_key_exit_77_and_change_nothing(
        disk: Open, role: str) -> None:
    target = disk(role)
    [point] = target.points()
    before = history(target)
    attempts: list[tuple[str, Callable[[], object]]] = [
        ("delete recovery points", lambda: target.delete_points([point.id])),
        ("reclaim space", lambda: target.reclaim(immediate=True)),
        ("rewrite the index", target.repair_index),
    ]
    for doing, attempt in attempts:
        with pytest.raises(KeyRoleError) as refused:
            attempt()
        assert refused.value.exit_code == ExitCode.KEY_ROLE
        assert refused.value.message == (f"target 'local' is append-only: a {role} key cannot {doing}; "
                                         "that needs the owner key")
    assert history(target) == before


def test_the_engine_reached_around_the_target_is_refused_by_the_store(disk: Open, data: Path) -> None:
    owner = disk("owner")
    [old] = owner.points()
    (data / "b.txt").write_text("bravo\n" * 1000)
    owner.backup(job(data))
    owner.delete_points([old.id])  # its data is now unreferenced: a reclaim would delete or repack it
    owner.close()
    manager = disk("manager")
    repository = manager.repository()
    before = history(manager)
    for attempt in (lambda: repository.delete_points([p.id for p in repository.list_points()]),
                    lambda: reclaim(repository, immediate=True),
                    lambda: repair_index(repository),
                    lambda: repository.store.put(next(iter(repository.store.list("points/"))), b"ransom")):
        with pytest.raises(KeyRoleError, match="target 'local' is append-only: a manager key may not"):
            attempt()
    assert kept(before, history(manager))
    assert verify(disk("owner").repository()).ok


def test_a_failed_backup_removes_only_the_packs_it_stored_itself(
        disk: Open, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bkctl.repo.pack.PACK_TARGET_SIZE", 1 << 20)
    writer = disk("writer")
    repository = writer.repository()
    packs = set(repository.store.list("data/"))
    with pytest.raises(RuntimeError), repository.session():
        for _ in range(3):
            repository.save_blob("d", os.urandom(1 << 20), None)
        raise RuntimeError("the source failed")
    assert set(repository.store.list("data/")) == packs


def test_with_the_owner_key_prunes_and_reclaims_delete_as_usual(disk: Open, data: Path) -> None:
    owner = disk("owner")
    assert owner.observe().append_only_role == ""
    [old] = owner.points()
    (data / "a.txt").write_text("replaced\n" * 1000)
    owner.backup(job(data))
    packs = set(owner.store.list("data/"))
    owner.delete_points([old.id])
    freed = owner.reclaim(immediate=True)
    assert [p.id for p in owner.points()] != [old.id] and len(owner.points()) == 1
    assert freed.bytes_freed > 0 and set(owner.store.list("data/")) < packs


def test_a_format_1_repository_on_an_append_only_target_is_upgraded_on_open(tmp_path: Path, data: Path) -> None:
    from legacy import legacy_repository

    inner = LocalStore(tmp_path / "old")
    legacy_repository(inner, Secret("owner"), version=1)
    store = AppendOnlyStore(inner, target="local")
    target = RepositoryTarget("local", store, Secret("owner"), tmp_path / "cache-old", append_only=store)
    try:
        target.backup(job(data))
        assert len(target.points()) == 1  # every key of a format 1 repository is an owner's
    finally:
        target.close()
    assert json.loads(inner.get("config"))["version"] == 2
