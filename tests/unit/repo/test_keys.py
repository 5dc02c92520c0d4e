"""Key objects: several passphrases unlock one repository; the last key cannot go."""

from __future__ import annotations

import pytest

from bkctl.errors import BkctlError, PassphraseError
from bkctl.repo import KdfParams, Repository
from bkctl.secrets import Secret
from bkctl.store import MemoryStore

FAST = KdfParams.fast()


@pytest.fixture
def repo(tmp_path) -> Repository:
    return Repository.init(MemoryStore(), Secret("first"), kdf=FAST, cache_dir=tmp_path)


def test_init_refuses_an_existing_repository(repo, tmp_path):
    with pytest.raises(BkctlError, match="already exists"):
        Repository.init(repo.store, Secret("x"), kdf=FAST, cache_dir=tmp_path)


def test_kdf_parameters_are_recorded_in_the_key_object(repo):
    [name] = list(repo.store.list("keys/"))
    text = repo.store.get(name).decode()
    assert '"algorithm": "argon2id"' in text and '"memory_cost": 64' in text
    assert "first" not in text


def test_an_added_key_opens_the_same_repository(repo, tmp_path):
    key_id = repo.add_key(Secret("second"), kdf=FAST)
    opened = Repository.open(repo.store, Secret("second"), cache_dir=tmp_path)
    assert opened.id == repo.id and opened.key == repo.key and opened.key_id == key_id
    assert {info.id for info in repo.list_keys()} == {repo.key_id, key_id}
    assert all(info.host and info.created.tzinfo for info in repo.list_keys())


def test_remove_refuses_the_key_in_use_and_the_last_key(repo):
    with pytest.raises(BkctlError, match="in use"):
        repo.remove_key(repo.key_id)
    other = repo.add_key(Secret("second"), kdf=FAST)
    repo.remove_key(other)
    assert [info.id for info in repo.list_keys()] == [repo.key_id]
    with pytest.raises(PassphraseError):
        Repository.open(repo.store, Secret("second"))


def test_change_passphrase_replaces_the_current_key(repo, tmp_path):
    repo.change_passphrase(Secret("new"), kdf=FAST)
    assert len(repo.list_keys()) == 1
    with pytest.raises(PassphraseError):
        Repository.open(repo.store, Secret("first"))
    assert Repository.open(repo.store, Secret("new"), cache_dir=tmp_path).id == repo.id


def test_fast_kdf_is_selected_by_the_environment(monkeypatch):
    monkeypatch.setenv("BKCTL_TEST_FAST_KDF", "1")
    assert KdfParams.default() == KdfParams.fast()
    monkeypatch.delenv("BKCTL_TEST_FAST_KDF")
    assert KdfParams.default().memory_cost >= 65536
