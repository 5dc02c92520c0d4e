"""Damage, full disks and wrong keys: each failure is named, and nothing stored is lost."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from bkctl.archiver import backup_paths
from bkctl.errors import (
    PassphraseError,
    RepositoryCorruptError,
    RepositoryNotFoundError,
    StorageFullError,
)
from bkctl.repo import Repository
from bkctl.repo.repair import repair_index
from bkctl.repo.verify import verify
from bkctl.restorer import restore_point
from bkctl.secrets import Secret
from bkctl.store import LocalStore


def make_source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "docs").mkdir(parents=True)
    (src / "docs" / "report.bin").write_bytes(os.urandom(600_000))
    (src / "small.txt").write_text("small")
    return src


def flip_byte_of_blob(repo: Repository, path_suffix: str, point_root: str) -> None:
    from bkctl.repo.reachability import point_nodes

    node = next(n for p, n in point_nodes(repo, point_root) if p.endswith(path_suffix))
    entry = repo.index.get(bytes.fromhex(node["content"][0]))
    pack = Path(repo.store.root, *entry.pack.split("/"))  # type: ignore[attr-defined]
    data = bytearray(pack.read_bytes())
    data[entry.offset + entry.length // 2] ^= 0x01
    pack.write_bytes(bytes(data))


def test_flipped_byte_is_named_by_verify_and_refused_by_restore(repo, tmp_path):
    src = make_source(tmp_path)
    point = backup_paths(repo, workload="w", host="h", paths=[src])
    assert verify(repo, read_data_percent=100).ok
    flip_byte_of_blob(repo, "docs/report.bin", point.root)
    report = verify(repo, read_data_percent=100)
    assert not report.ok
    assert report.damaged_points == [point.id]
    assert any(path.endswith("docs/report.bin") for path in report.damaged_files)
    assert not any(path.endswith("small.txt") for path in report.damaged_files)
    with pytest.raises(RepositoryCorruptError):
        restore_point(repo, point.id, tmp_path / "out")


def test_structure_check_finds_a_missing_pack_without_reading_data(repo, tmp_path):
    point = backup_paths(repo, workload="w", host="h", paths=[make_source(tmp_path)])
    repo.load_tree.cache_clear()
    for name in list(repo.store.list("data/")):
        repo.store.delete(name)
    report = verify(repo)
    assert not report.ok and report.damaged_points == [point.id]
    assert any("missing" in problem for problem in report.problems)


def test_truncated_index_is_named_and_repair_rebuilds_it_from_pack_headers(repo, tmp_path):
    point = backup_paths(repo, workload="w", host="h", paths=[make_source(tmp_path)])
    [name] = list(repo.store.list("index/"))
    repo.store.put(name, repo.store.get(name)[:20])
    reopened = Repository.open(repo.store, Secret("pw"), cache_dir=tmp_path / "fresh-cache")
    assert len(reopened.index) == 0 and name in reopened.damaged
    report = verify(reopened)
    assert not report.ok and name in report.damaged_objects
    assert report.damaged_points == [point.id]
    with pytest.raises(RepositoryCorruptError, match="repair index"):
        restore_point(reopened, point.id, tmp_path / "before")
    repaired = repair_index(reopened)
    assert repaired.objects_replaced == 1 and repaired.unreadable_packs == []
    assert verify(reopened, read_data_percent=100).ok
    restore_point(reopened, point.id, tmp_path / "after")
    restored = tmp_path / "after" / tmp_path.relative_to("/") / "src" / "docs" / "report.bin"
    assert restored.read_bytes() == (tmp_path / "src" / "docs" / "report.bin").read_bytes()


def test_wrong_passphrase_raises_without_revealing_anything(repo):
    with pytest.raises(PassphraseError) as caught:
        Repository.open(repo.store, Secret("not-the-passphrase"))
    assert "wrong passphrase for repository" in str(caught.value)
    assert "not-the-passphrase" not in str(caught.value) and "pw" not in str(caught.value)


def test_missing_repository_raises_not_found(tmp_path):
    with pytest.raises(RepositoryNotFoundError):
        Repository.open(LocalStore(tmp_path / "nothing"), Secret("pw"))


def test_storage_full_fails_the_backup_and_keeps_existing_points(repo, tmp_path, monkeypatch):
    src = make_source(tmp_path)
    first = backup_paths(repo, workload="w", host="h", paths=[src])
    (src / "new.bin").write_bytes(os.urandom(300_000))
    real_write = os.write

    def full_for_packs(fd: int, data: bytes) -> int:
        if len(data) > 100_000:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    def full_for_spooled_packs(out: int, spooled: int, offset: int, count: int) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("bkctl.store.local.os.write", full_for_packs)
    monkeypatch.setattr("bkctl.store.local.os.sendfile", full_for_spooled_packs)
    with pytest.raises(StorageFullError):
        backup_paths(repo, workload="w", host="h", paths=[src])
    monkeypatch.undo()
    assert [p.id for p in repo.list_points()] == [first.id]
    restore_point(repo, first.id, tmp_path / "out")
    assert verify(repo, read_data_percent=100).ok
    second = backup_paths(repo, workload="w", host="h", paths=[src])
    restore_point(repo, second.id, tmp_path / "out2")
    back = tmp_path / "out2" / src.relative_to("/")
    assert (back / "new.bin").read_bytes() == (src / "new.bin").read_bytes()
