"""The blob writer: dedup, packs, and index checkpoints that survive an aborted backup."""

from __future__ import annotations

import errno
import io
import os
import threading
import time

import pytest

from bkctl.errors import StorageFullError
from bkctl.repo import KdfParams, Repository
from bkctl.secrets import Secret
from bkctl.store import MemoryStore


@pytest.fixture
def repo(tmp_path) -> Repository:
    return Repository.init(MemoryStore(), Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path)


def test_the_same_data_is_stored_once(repo):
    data = os.urandom(5000)
    first = repo.save_blob("d", data, 3)
    second = repo.save_blob("d", data, 3)
    assert first.new and not second.new and first.blob_id == second.blob_id
    repo.flush()
    assert repo.load_blob(first.blob_id) == data
    assert len(list(repo.store.list("data/"))) == 1


def test_a_batch_saves_each_blob_once_in_order_and_each_reads_back(repo):
    stored = repo.save_blob("d", b"stored before" * 50, 3)
    text, noise = b"compressible " * 400, os.urandom(3000)
    batch = [text, b"stored before" * 50, noise, text, b"x"]
    repo.flush()
    results = repo.save_blobs("d", batch, 3)
    assert [result.new for result in results] == [True, False, True, False, True]
    assert results[1].blob_id == stored.blob_id and results[0].blob_id == results[3].blob_id
    assert 0 < results[0].stored_length < len(text)  # compressed
    assert results[2].stored_length > len(noise)  # stored raw, plus the seal
    repo.flush()
    for data, result in zip(batch, results, strict=True):
        assert repo.load_blob(result.blob_id) == data
        assert result.blob_id == repo.save_blob("d", data, 3).blob_id  # the same id as one at a time


def test_index_checkpoints_keep_uploaded_packs_usable_after_an_abort(repo, tmp_path, monkeypatch):
    monkeypatch.setattr("bkctl.repo.pack.PACK_TARGET_SIZE", 1 << 20)
    monkeypatch.setattr("bkctl.repo.blobs.CHECKPOINT_PACKS", 1)
    blobs = [os.urandom(1 << 20) for _ in range(4)]
    ids = [repo.save_blob("d", blob, None).blob_id for blob in blobs]
    repo.writer.abort()  # the backup failed before its final flush
    assert list(repo.store.list("index/"))
    reopened = Repository.open(repo.store, Secret("pw"), cache_dir=tmp_path / "other")
    stored = [blob_id for blob_id in ids if blob_id in reopened.index]
    assert len(stored) >= 3
    assert all(reopened.load_blob(i) == blobs[ids.index(i)] for i in stored)
    for blob_id, blob in zip(ids, blobs, strict=True):  # the next backup reuses them
        assert repo.save_blob("d", blob, None).new == (blob_id not in stored)


def test_many_small_blobs_are_indexed_in_checkpoints_before_their_packs_add_up(repo, tmp_path, monkeypatch):
    # 50,000 small files fill a few packs, far fewer than CHECKPOINT_PACKS: their entries
    # waited for the final flush, held until the end and lost to a crash before it.
    monkeypatch.setattr("bkctl.repo.pack.PACK_TARGET_SIZE", 16 << 10)  # about 150 of these blobs a pack
    monkeypatch.setattr("bkctl.repo.blobs.CHECKPOINT_ENTRIES", 300)
    blobs = [os.urandom(64) for _ in range(1_600)]
    ids = [result.blob_id for start in range(0, len(blobs), 100)  # batches, as the small-file saver sends
           for result in repo.save_blobs("d", blobs[start:start + 100], None)]
    repo.writer.abort()  # the backup failed before its final flush
    reopened = Repository.open(repo.store, Secret("pw"), cache_dir=tmp_path / "other")
    stored = [blob_id for blob_id in ids if blob_id in reopened.index]
    assert len(list(repo.store.list("index/"))) >= 3 and len(stored) >= 1_200
    assert all(reopened.load_blob(blob_id) == blobs[n] for n, blob_id in enumerate(ids) if blob_id in stored)


class SlowRemoteStore(MemoryStore):
    """A store whose puts wait like network round trips, counting how many overlap."""

    parallel_puts = 2

    def __init__(self) -> None:
        super().__init__()
        self.running = self.most = 0
        self._count = threading.Lock()

    def put(self, name: str, data: bytes) -> None:
        if name.startswith("data/"):
            with self._count:
                self.running += 1
                self.most = max(self.most, self.running)
            time.sleep(0.2)
            with self._count:
                self.running -= 1
        super().put(name, data)


def test_an_object_store_gets_two_packs_at_once_and_every_blob_is_indexed(tmp_path, monkeypatch):
    monkeypatch.setattr("bkctl.repo.pack.PACK_TARGET_SIZE", 256 << 10)
    monkeypatch.setattr("bkctl.repo.blobs.CHECKPOINT_PACKS", 3)  # checkpoints from both uploaders
    store = SlowRemoteStore()
    repo = Repository.init(store, Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path)
    blobs = [os.urandom(128 << 10) for _ in range(24)]
    ids = [repo.save_blob("d", blob, None).blob_id for blob in blobs]
    repo.flush()
    assert store.most == 2
    reopened = Repository.open(store, Secret("pw"), cache_dir=tmp_path / "other")
    assert [reopened.load_blob(blob_id) for blob_id in ids] == blobs
    assert len(list(store.list("data/"))) == 12


def test_a_local_disk_keeps_one_upload_at_a_time(tmp_path, monkeypatch):
    monkeypatch.setattr("bkctl.repo.pack.PACK_TARGET_SIZE", 256 << 10)
    store = SlowRemoteStore()
    store.parallel_puts = 1
    repo = Repository.init(store, Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path)
    for _ in range(8):
        repo.save_blob("d", os.urandom(128 << 10), None)
    repo.flush()
    assert store.most == 1


def test_a_full_spool_folder_is_a_storage_full_error_naming_it(repo, monkeypatch):
    class FullSpool(io.BytesIO):
        def write(self, data: object) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("bkctl.repo.pack.tempfile.TemporaryFile", lambda **_: FullSpool())
    with pytest.raises(StorageFullError) as raised:
        repo.save_blob("d", os.urandom(1000), None)
    assert "no space left to spool a pack in" in raised.value.message and "TMPDIR" in (raised.value.hint or "")
    repo.abort()
    monkeypatch.undo()
    saved = repo.save_blob("d", b"after room was made", None)
    repo.flush()
    assert saved.new and repo.load_blob(saved.blob_id) == b"after room was made"


def test_a_batch_that_meets_a_full_spool_folder_is_stored_whole_once_there_is_room(repo, monkeypatch):
    class FullSpool(io.BytesIO):
        def write(self, data: object) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    batch = [os.urandom(700), os.urandom(900), b"small text " * 40]
    monkeypatch.setattr("bkctl.repo.pack.tempfile.TemporaryFile", lambda **_: FullSpool())
    with pytest.raises(StorageFullError):
        repo.save_blobs("d", batch, 3)
    repo.abort()
    monkeypatch.undo()
    results = repo.save_blobs("d", batch, 3)  # the claims of the failed batch were released
    repo.flush()
    assert all(result.new for result in results)
    assert [repo.load_blob(result.blob_id) for result in results] == batch


def test_a_pack_is_spooled_not_held_in_memory(repo, monkeypatch):
    monkeypatch.setattr("bkctl.repo.pack.PACK_TARGET_SIZE", 1 << 30)
    for _ in range(4):
        repo.save_blob("d", os.urandom(1 << 20), None)
    spooled = repo.writer._builder._file  # the open pack, 4 MiB of sealed blobs
    assert spooled is not None and spooled.tell() >= 4 << 20
    assert repo.writer._builder.size == spooled.tell()
