"""One conformance suite that every BlobStore must pass; add a factory to STORE_FACTORIES."""

from __future__ import annotations

import errno
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from bkctl.errors import NotFoundError, StorageFullError
from bkctl.store import BlobStore, InvalidNameError, LocalStore, MemoryStore
from bkctl.store.append_only import AppendOnlyStore

StoreFactory = Callable[[Path], BlobStore]

STORE_FACTORIES: dict[str, StoreFactory] = {
    "memory": lambda tmp: MemoryStore(),
    "local": lambda tmp: LocalStore(tmp / "store"),
    "append-only-owner": lambda tmp: owned(AppendOnlyStore(LocalStore(tmp / "store"), target="contract")),
}


def owned(store: AppendOnlyStore) -> AppendOnlyStore:
    """Opened with the owner key, an append-only store is an ordinary store."""
    store.opened_with("owner")
    return store


@pytest.fixture(params=sorted(STORE_FACTORIES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    return STORE_FACTORIES[request.param](tmp_path)


def test_put_then_get_returns_the_same_bytes(store: BlobStore) -> None:
    store.put("data/ab/abcdef", b"hello")
    assert store.get("data/ab/abcdef") == b"hello"


def test_put_file_stores_the_whole_file_wherever_it_is_positioned(store: BlobStore) -> None:
    content = bytes(range(256)) * (12 << 10)  # 3 MiB: more than one read or sendfile step
    with tempfile.TemporaryFile() as spooled:
        spooled.write(content)  # left at its end, as a pack's builder leaves it
        store.put_file("data/cd/cdef01", spooled)
        store.put_file("data/cd/cdef02", spooled)  # a retry reads it again from the start
    assert store.get("data/cd/cdef01") == content == store.get("data/cd/cdef02")
    assert store.size("data/cd/cdef01") == len(content)


def test_put_overwrites_an_existing_object(store: BlobStore) -> None:
    store.put("config", b"one")
    store.put("config", b"two")
    assert store.get("config") == b"two"


def test_get_of_a_missing_object_raises_not_found(store: BlobStore) -> None:
    with pytest.raises(NotFoundError):
        store.get("nothing/here")
    with pytest.raises(NotFoundError):
        store.get_range("nothing/here", 0, 1)


def test_get_range_returns_the_requested_slice(store: BlobStore) -> None:
    store.put("packs/p", bytes(range(100)))
    assert store.get_range("packs/p", 10, 5) == bytes(range(10, 15))
    assert store.get_range("packs/p", 98, 10) == bytes([98, 99])


def test_list_returns_names_below_the_prefix_sorted(store: BlobStore) -> None:
    for name in ["index/b", "index/a", "data/00/x", "data/01/y", "config"]:
        store.put(name, b"x")
    assert list(store.list("index/")) == ["index/a", "index/b"]
    assert list(store.list("data/")) == ["data/00/x", "data/01/y"]
    assert sorted(store.list()) == ["config", "data/00/x", "data/01/y", "index/a", "index/b"]
    assert list(store.list("missing/")) == []


def test_delete_removes_and_tolerates_missing(store: BlobStore) -> None:
    store.put("locks/1", b"x")
    store.delete("locks/1")
    store.delete("locks/1")
    assert not store.exists("locks/1")
    assert list(store.list("locks/")) == []


def test_exists_reports_presence(store: BlobStore) -> None:
    assert not store.exists("keys/k")
    store.put("keys/k", b"")
    assert store.exists("keys/k")
    assert store.get("keys/k") == b""


def test_size_is_the_length_of_the_object(store: BlobStore) -> None:
    store.put("data/ab/p", bytes(1234))
    store.put("empty", b"")
    assert store.size("data/ab/p") == 1234
    assert store.size("empty") == 0
    with pytest.raises(NotFoundError):
        store.size("data/ab/missing")


@pytest.mark.parametrize(
    "name", ["", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a\\b", "a/", "x\x00"]
)
def test_unsafe_names_are_refused_by_every_operation(store: BlobStore, name: str) -> None:
    with pytest.raises(InvalidNameError):
        store.put(name, b"x")
    with pytest.raises(InvalidNameError):
        store.get(name)
    with pytest.raises(InvalidNameError):
        store.delete(name)
    with pytest.raises(InvalidNameError):
        store.exists(name)


def test_concurrent_puts_all_land(store: BlobStore) -> None:
    def writer(start: int) -> None:
        for i in range(start, start + 20):
            store.put(f"data/{i:04d}", str(i).encode())

    threads = [threading.Thread(target=writer, args=(n * 20,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(list(store.list("data/"))) == 80
    assert store.get("data/0042") == b"42"


def test_local_store_turns_enospc_into_storage_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStore(tmp_path / "s")
    store.put("config", b"old")

    def full(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("bkctl.store.local.os.write", full)
    with pytest.raises(StorageFullError):
        store.put("config", b"new")
    monkeypatch.undo()
    assert store.get("config") == b"old"
    assert list(store.list()) == ["config"]


def test_local_store_never_lists_temporary_files(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "s")
    store.put("data/x", b"1")
    (tmp_path / "s" / "data" / ".tmp-deadbeef").write_bytes(b"partial")
    assert list(store.list()) == ["data/x"]
