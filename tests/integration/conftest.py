"""Fixtures shared by the engine's integration tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from bkctl.repo import KdfParams, Repository
from bkctl.secrets import Secret
from bkctl.store import LocalStore


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    """A fresh repository on the local disk, with the test key derivation."""
    store = LocalStore(tmp_path / "repo")
    return Repository.init(store, Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "c")
