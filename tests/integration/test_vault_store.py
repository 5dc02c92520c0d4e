"""LibcloudStore beyond the shared contract: credentials, containers, paging, retries."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from objstore import AZURITE_KEY, ObjectServer, azurite, moto_s3, object_server  # noqa: F401

from bkctl.errors import CredentialsMissingError, CredentialsRejectedError, NotFoundError, TargetUnreachableError
from bkctl.store.objstore import ContainerMissingError, LibcloudStore, driver_factory, env_credentials
from bkctl.store.retry import RetryingStore, RetryPolicy

WRONG_KEY = "AAAA" + AZURITE_KEY[4:]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_wrong_azure_key_is_rejected_permanently_without_showing_the_key(azurite: ObjectServer) -> None:  # noqa: F811
    connect = driver_factory("azure_blobs", lambda: (azurite.key, WRONG_KEY), host="127.0.0.1",
                             port=azurite.port, secure=False)
    sleeps: list[float] = []
    store = RetryingStore(LibcloudStore(connect, "anything", description="target 'cloud'"), sleep=sleeps.append)
    for operation in (lambda: store.get("config"), lambda: store.put("x", b"1"), lambda: list(store.list())):
        with pytest.raises(CredentialsRejectedError) as caught:
            operation()
        assert "credentials rejected" in str(caught.value) and "target 'cloud'" in str(caught.value)
        assert WRONG_KEY not in str(caught.value)
    assert sleeps == []  # never retried: it cannot get better


def test_writes_into_a_missing_container_fail_fast_until_it_is_ensured(object_server: ObjectServer) -> None:  # noqa: F811
    store = object_server.store(container=f"missing-{uuid.uuid4().hex[:16]}")
    assert not store.exists("config")
    assert list(store.list()) == []
    with pytest.raises(ContainerMissingError, match="does not exist"):
        store.put("config", b"x")
    store.ensure_container()
    store.ensure_container()  # idempotent
    store.put("config", b"x")
    assert store.get("config") == b"x"


def test_listing_follows_pages_beyond_one_hundred_objects(azurite: ObjectServer) -> None:  # noqa: F811
    store = azurite.store()
    store.ensure_container()
    names = [f"index/{i:04d}" for i in range(130)]
    for name in names:
        store.put(name, b"")
    assert list(store.list("index/")) == names


class _CountingReads(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_an_upload_reads_the_object_once(object_server: ObjectServer) -> None:  # noqa: F811
    """libcloud's S3 path hashed every upload in a second pass and discarded the digest."""
    store = object_server.store()
    store.ensure_container()
    data = os.urandom(3 << 20)
    upload = _CountingReads(data)
    store.put_file("data/pack-1", upload)
    assert store.get("data/pack-1") == data
    assert upload.bytes_read == len(data)


class _CountingMd5:
    """An MD5 that adds the bytes it hashes to a shared count."""

    def __init__(self, counts: list[int]) -> None:
        self._inner, self._counts = hashlib.md5(), counts

    def update(self, data: bytes) -> None:
        self._counts.append(len(data))
        self._inner.update(data)

    def digest(self) -> bytes:
        return self._inner.digest()

    def hexdigest(self) -> str:
        return self._inner.hexdigest()


def test_an_azure_upload_hashes_each_block_once_for_its_content_md5(azurite: ObjectServer) -> None:  # noqa: F811
    """libcloud also hashed the whole object again, for a blob property nothing here reads
    (bkctl authenticates every object it reads); each block's MD5 the service checks stays."""
    store = azurite.store(container=f"hash-{uuid.uuid4().hex[:12]}")
    store.ensure_container()
    hashed: list[int] = []
    driver = store._driver()
    driver._get_hash_function = lambda: _CountingMd5(hashed)  # type: ignore[method-assign]
    data = os.urandom(9 << 20)  # three 4 MiB blocks or parts of them
    store.put_file("data/pack-1", io.BytesIO(data))
    assert store.get("data/pack-1") == data
    assert sum(hashed) < len(data) + 4096  # the blocks once (and the small block list), not twice


def test_prefixes_keep_two_stores_in_one_container_apart(object_server: ObjectServer) -> None:  # noqa: F811
    first, second = object_server.store(prefix="site-a/repo"), object_server.store(prefix="site-b/repo")
    first.ensure_container()
    first.put("config", b"a")
    assert not second.exists("config")
    assert list(second.list()) == []
    with pytest.raises(NotFoundError):
        second.get("config")


def test_a_refused_connection_is_retried_with_backoff_then_reported_unreachable() -> None:
    connect = driver_factory("s3", lambda: ("k", "s"), host="127.0.0.1", port=_free_port(), secure=False,
                             region="us-east-1")
    sleeps: list[float] = []
    store = RetryingStore(LibcloudStore(connect, "bucket", description="target 'offsite'"),
                          RetryPolicy(attempts=4, first_delay_seconds=0.5), sleep=sleeps.append)
    with pytest.raises(TargetUnreachableError, match="gave up after 4 tries") as caught:
        store.put("data/x", b"payload")
    assert sleeps == [0.5, 1.0, 2.0]
    assert "target 'offsite'" in str(caught.value)


def test_unset_credential_variables_are_named_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BKCTL_TEST_KEY", "account")
    monkeypatch.delenv("BKCTL_TEST_SECRET", raising=False)
    connect = driver_factory("azure_blobs", env_credentials("BKCTL_TEST_KEY", "BKCTL_TEST_SECRET", "target 'c'"))
    with pytest.raises(CredentialsMissingError, match="BKCTL_TEST_SECRET is not set"):
        LibcloudStore(connect, "c").get("config")


def test_a_container_the_server_refuses_to_create_is_reported_at_once_with_its_reason(
        object_server: ObjectServer) -> None:  # noqa: F811
    # The manifest refuses such names now; the store must still not take a refusal for an outage.
    sleeps: list[float] = []
    store = RetryingStore(object_server.store(container="b"), RetryPolicy(attempts=4, first_delay_seconds=0.5),
                          sleep=sleeps.append)
    with pytest.raises(TargetUnreachableError) as caught:
        store.ensure_container()
    assert sleeps == []  # refused, not retried: asking again gets the same answer
    assert "gave up" not in str(caught.value) and "refused" in str(caught.value)
    assert caught.value.hint is None or "endpoint is up" not in caught.value.hint
