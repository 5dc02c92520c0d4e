"""The shared BlobStore contract, run against LibcloudStore on Azurite and on moto (S3).

The suite's own module is reused unchanged: every contract test that takes a ``store`` is
imported here, and this module's ``store`` fixture supplies the object-store backends.
Each test gets its own random prefix, which also checks that prefixes isolate stores.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration"))

import test_blobstore_contract as contract
from objstore import ObjectServer, object_server  # noqa: F401

from bkctl.store import BlobStore
from bkctl.store.retry import RetryingStore

for _name, _test in vars(contract).items():
    if _name.startswith("test_") and "store" in inspect.signature(_test).parameters:
        globals()[_name] = _test


@pytest.fixture(scope="module")
def _containers_made() -> set[tuple[str, int]]:
    return set()


@pytest.fixture
def store(object_server: ObjectServer, _containers_made: set[tuple[str, int]]) -> BlobStore:  # noqa: F811
    libcloud_store = object_server.store("contract")
    if (object_server.provider, object_server.port) not in _containers_made:
        libcloud_store.ensure_container()
        _containers_made.add((object_server.provider, object_server.port))
    return RetryingStore(libcloud_store)
