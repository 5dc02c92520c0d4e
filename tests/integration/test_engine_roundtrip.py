"""Backup and restore through the real engine on a local store: what goes in comes out."""

from __future__ import annotations

import errno
import io
import os
import shutil
import stat
from pathlib import Path

import pytest

from bkctl.archiver import backup_paths, backup_stream
from bkctl.errors import BkctlError, StorageFullError
from bkctl.repo import Repository
from bkctl.restorer import restore_point, restore_stream
from bkctl.secrets import Secret

MARKER = b"PLAINTEXT-CANARY-7f3a9c"


def build_tree(src: Path) -> None:
    (src / "dir" / "empty").mkdir(parents=True)
    (src / "text.txt").write_bytes(MARKER * 10)
    (src / "dir" / "big.bin").write_bytes(os.urandom(3 << 20) + MARKER * 50_000)
    (src / "secret.sh").write_bytes(b"#!/bin/sh\n")
    os.chmod(src / "secret.sh", 0o750)
    os.symlink("text.txt", src / "link")
    os.symlink("/nonexistent/target", src / "dangling")
    os.link(src / "text.txt", src / "dir" / "hardlink")
    with open(src / "sparse.img", "wb") as handle:
        handle.seek(8 << 20)
        handle.write(b"middle")
        handle.seek(16 << 20)
        handle.write(b"end")
    os.mkfifo(src / "pipe")
    os.utime(src / "text.txt", ns=(1_600_000_000_123_456_789, 1_600_000_000_123_456_789))
    os.utime(src / "dir", ns=(1_500_000_000_000_000_001, 1_500_000_000_000_000_001))


def restored(out: Path, src: Path) -> Path:
    return out / src.relative_to("/")


def test_round_trip_keeps_content_and_every_metadata_kind(repo: Repository, tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    build_tree(src)
    point = backup_paths(repo, workload="w", host="h", paths=[src])
    assert not point.partial
    out = tmp_path / "out"
    restore_point(repo, point.id, out)
    back = restored(out, src)
    assert (back / "dir" / "big.bin").read_bytes() == (src / "dir" / "big.bin").read_bytes()
    assert (back / "text.txt").read_bytes() == MARKER * 10
    assert stat.S_IMODE(os.stat(back / "secret.sh").st_mode) == 0o750
    assert os.stat(back / "text.txt").st_mtime_ns == 1_600_000_000_123_456_789
    assert os.stat(back / "dir").st_mtime_ns == 1_500_000_000_000_000_001
    assert os.readlink(back / "link") == "text.txt"
    assert os.readlink(back / "dangling") == "/nonexistent/target"
    assert os.stat(back / "text.txt").st_ino == os.stat(back / "dir" / "hardlink").st_ino
    assert (back / "dir" / "empty").is_dir() and not any((back / "dir" / "empty").iterdir())
    assert stat.S_ISFIFO(os.lstat(back / "pipe").st_mode)
    sparse = back / "sparse.img"
    assert sparse.read_bytes() == (src / "sparse.img").read_bytes()
    assert os.stat(sparse).st_blocks * 512 < 1 << 20, "holes must be restored as holes"


def test_no_change_backup_reads_no_content_and_stores_nothing_new(repo: Repository, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    build_tree(src)
    backup_paths(repo, workload="w", host="h", paths=[src])
    before = set(repo.store.list())
    second = backup_paths(repo, workload="w", host="h", paths=[src])
    assert second.stats["bytes_read"] == 0
    assert second.stats["new_bytes"] == 0
    assert second.stats["reused_files"] >= 4
    added = set(repo.store.list()) - before
    # at most a changed ancestor directory's tree, its index object and the point
    assert sum(len(repo.store.get(name)) for name in added) < 16 << 10
    assert second.parent is not None


def test_no_change_backup_without_cache_still_reads_no_content(repo, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    build_tree(src)
    backup_paths(repo, workload="w", host="h", paths=[src])
    shutil.rmtree(repo.cache.root)
    again = Repository.open(repo.store, Secret("pw"), cache_dir=tmp_path / "c")
    second = backup_paths(again, workload="w", host="h", paths=[src])
    assert second.stats["bytes_read"] == 0


def test_changed_file_is_read_again(repo: Repository, tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_bytes(b"one")
    backup_paths(repo, workload="w", host="h", paths=[src])
    (src / "f").write_bytes(b"two!")
    second = backup_paths(repo, workload="w", host="h", paths=[src])
    assert second.stats["bytes_read"] == 4
    restore_point(repo, second.id, tmp_path / "out")
    assert (restored(tmp_path / "out", src) / "f").read_bytes() == b"two!"


def test_a_copied_file_adds_no_new_chunk_data(repo: Repository, tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "original").write_bytes(os.urandom(4 << 20))
    backup_paths(repo, workload="w", host="h", paths=[src])
    shutil.copyfile(src / "original", src / "copy")
    second = backup_paths(repo, workload="w", host="h", paths=[src])
    assert second.stats["bytes_read"] == 4 << 20
    assert second.stats["new_bytes"] == 0


def test_repository_objects_hold_no_plaintext(repo: Repository, tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    build_tree(src)
    (src / "PLAINTEXT-CANARY-name").write_bytes(b"x")
    backup_paths(repo, workload="w", host="h", paths=[src], compression=None)
    for path in (tmp_path / "repo").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert MARKER not in data and b"PLAINTEXT-CANARY" not in data, path


def test_include_and_exclude_patterns_select_files(repo: Repository, tmp_path: Path):
    src = tmp_path / "src"
    (src / "logs").mkdir(parents=True)
    (src / "keep.txt").write_text("k")
    (src / "drop.log").write_text("d")
    (src / "logs" / "a.txt").write_text("a")
    point = backup_paths(repo, workload="w", host="h", paths=[src], exclude=["*.log", "logs/"])
    restore_point(repo, point.id, tmp_path / "out")
    back = restored(tmp_path / "out", src)
    assert sorted(p.name for p in back.iterdir()) == ["keep.txt"]
    only = backup_paths(repo, workload="x", host="h", paths=[src], include=["*.log"])
    restore_point(repo, only.id, tmp_path / "out2")
    assert sorted(p.name for p in restored(tmp_path / "out2", src).iterdir()) == ["drop.log"]


def test_unreadable_file_is_reported_and_marks_the_point_partial(repo, tmp_path, unreadable):
    src = tmp_path / "src"
    src.mkdir()
    (src / "ok").write_text("fine")
    (src / "locked").write_text("nope")
    (src / "empty").write_bytes(b"")  # one batch: empty, failed and saved files keep their places
    (src / "zz").write_text("last")
    unreadable("locked")
    point = backup_paths(repo, workload="w", host="h", paths=[src])
    assert point.partial
    assert point.stats["errors"] == 1
    assert any("locked" in error and "Permission denied" in error for error in point.errors)
    restore_point(repo, point.id, tmp_path / "out")
    back = restored(tmp_path / "out", src)
    assert (back / "ok").read_text() == "fine" and (back / "zz").read_text() == "last"
    assert (back / "empty").read_bytes() == b"" and not (back / "locked").exists()


def test_restore_never_overwrites_existing_files_unless_asked(repo, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("backup")
    point = backup_paths(repo, workload="w", host="h", paths=[src])
    target = restored(tmp_path / "out", src)
    target.mkdir(parents=True)
    (target / "f").write_text("local")
    stats = restore_point(repo, point.id, tmp_path / "out")
    assert stats.skipped_existing == 1 and (target / "f").read_text() == "local"
    restore_point(repo, point.id, tmp_path / "out", overwrite=True)
    assert (target / "f").read_text() == "backup"


def test_stream_round_trip_with_bounded_chunks(repo: Repository, tmp_path: Path):
    payload = os.urandom(6 << 20) + b"\0" * (3 << 20)
    point = backup_stream(repo, workload="db", host="h", name="dump.sql",
                          stream=io.BytesIO(payload))
    assert point.kind == "stream" and point.stats["bytes"] == len(payload)
    out = io.BytesIO()
    assert restore_stream(repo, point.id[:8], out) == len(payload)
    assert out.getvalue() == payload


def test_points_are_listed_and_found_by_prefix_after_reopen(repo, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("x")
    point = backup_paths(repo, workload="w", host="h", paths=[src], meta={"tag": "daily"})
    again = Repository.open(repo.store, Secret("pw"), cache_dir=tmp_path / "other-cache")
    [listed] = again.list_points()
    assert listed.id == point.id and listed.meta == {"tag": "daily"}
    assert listed.time.tzinfo is not None
    assert again.get_point(point.id[:6]).id == point.id


@pytest.mark.parametrize("failure", [errno.EIO, errno.EDQUOT])
def test_a_failed_save_stops_the_backup_instead_of_storing_empty_files(repo, tmp_path, monkeypatch, failure):
    # The spool write of the small files' batch fails while a large file after them is
    # read: the error must stop the backup, not pass as that file being unreadable while
    # the batch's files are committed empty (and then reused as such).
    src = tmp_path / "src"
    (src / "a").mkdir(parents=True)
    for i in range(5):
        (src / "a" / f"small{i}.txt").write_bytes(f"precious {i}\n".encode() * 10)
    (src / "a" / "zbig.bin").write_bytes(os.urandom(20_000_000))
    import bkctl.repo.pack as pack

    real, calls = pack.PackBuilder.add_many, []

    def failing(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not calls:
            calls.append(1)
            raise OSError(failure, os.strerror(failure))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pack.PackBuilder, "add_many", failing)
    with pytest.raises(BkctlError) as raised:
        backup_paths(repo, workload="w", host="h", paths=[src])
    assert isinstance(raised.value, StorageFullError) == (failure == errno.EDQUOT)
    assert repo.list_points() == []
    monkeypatch.undo()
    point = backup_paths(repo, workload="w", host="h", paths=[src])
    restore_point(repo, point.id, tmp_path / "out")
    back = restored(tmp_path / "out", src) / "a"
    assert {f.name: f.read_bytes() for f in back.iterdir()} == {f.name: f.read_bytes() for f in (src / "a").iterdir()}


def test_the_other_names_of_an_unreadable_hard_link_are_reported_not_restored_empty(repo, tmp_path, unreadable):
    src = tmp_path / "src"
    (src / "a").mkdir(parents=True)
    (src / "b").mkdir()
    (src / "a" / "f.txt").write_bytes(b"data\n")
    os.link(src / "a" / "f.txt", src / "b" / "hl.txt")
    (src / "b" / "ok.txt").write_text("fine")
    unreadable("a/f.txt")
    point = backup_paths(repo, workload="w", host="h", paths=[src])
    assert point.partial and point.stats["files"] == 1
    assert sorted(error.split(":")[0].rsplit("/", 2)[-2] for error in point.errors) == ["a", "b"]
    restore_point(repo, point.id, tmp_path / "out")
    back = restored(tmp_path / "out", src)
    assert not (back / "b" / "hl.txt").exists() and (back / "b" / "ok.txt").read_text() == "fine"


def sparse_file(path: Path) -> None:
    """8 MiB with 70 KB of random data in the middle, the rest holes."""
    with open(path, "wb") as handle:
        handle.truncate(8 << 20)
        handle.seek(4 << 20)
        handle.write(os.urandom(70_000))


def test_every_name_of_a_hard_linked_sparse_file_keeps_its_extents(repo, tmp_path):
    """A second name took the first name's chunks but not its extents, so restoring it
    alone, or an incremental without the first name, wrote the data from offset 0."""
    src = tmp_path / "src"
    src.mkdir()
    sparse_file(src / "a.img")
    os.link(src / "a.img", src / "b.img")
    want = (src / "a.img").read_bytes()
    point = backup_paths(repo, workload="w", host="h", paths=[src])
    restore_point(repo, point.id, tmp_path / "alone", include=["b.img"])
    assert (restored(tmp_path / "alone", src) / "b.img").read_bytes() == want
    without_first = backup_paths(repo, workload="w", host="h", paths=[src], exclude=["a.img"])
    assert without_first.stats["reused_files"] == 1
    restore_point(repo, without_first.id, tmp_path / "later")
    assert (restored(tmp_path / "later", src) / "b.img").read_bytes() == want


def test_a_sparse_file_recorded_without_extents_is_read_again(repo, tmp_path):
    """Heals the file maps the hard-link bug above wrote: such a record would restore wrong."""
    from bkctl.archiver.filerecord import pack_file, record_content, record_fields
    from bkctl.archiver.parent import load_file_map, save_file_map

    src = tmp_path / "src"
    src.mkdir()
    sparse_file(src / "b.img")
    first = backup_paths(repo, workload="w", host="h", paths=[src])
    files = load_file_map(repo, first)
    [(path, record)] = files.items()
    save_file_map(repo, first.id, {path: pack_file(*record_fields(record)[:4], record_content(record), None)})
    second = backup_paths(repo, workload="w", host="h", paths=[src])
    assert second.stats["reused_files"] == 0
    restore_point(repo, second.id, tmp_path / "out")
    assert (restored(tmp_path / "out", src) / "b.img").read_bytes() == (src / "b.img").read_bytes()
