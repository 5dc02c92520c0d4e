"""Key objects: several passphrases unlock one repository; the last key cannot go."""

from __future__ import annotations

import pytest

from bkctl.errors import BkctlError, PassphraseError
from bkctl.repo import KdfParams, Repository
from bkctl.repo.keys import KeyObject
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
    assert KdfParams.default() == KdfParams()


def test_the_default_kdf_costs_no_less_work_than_rfc_9106_in_restics_memory():
    default, rfc = KdfParams(), KdfParams(time_cost=3, memory_cost=65536, parallelism=4)
    assert default.memory_cost * 1024 <= 32 * 2**20  # restic's scrypt: 128 * N * r bytes
    assert default.time_cost * default.memory_cost >= rfc.time_cost * rfc.memory_cost


def test_a_key_keeps_the_parameters_it_was_made_with(repo, tmp_path):
    made = KdfParams(time_cost=2, memory_cost=128, parallelism=2)  # an older default, say
    key_id = repo.add_key(Secret("older"), kdf=made)
    assert KeyObject.from_bytes(key_id, repo.store.get(f"keys/{key_id}")).kdf == made
    assert Repository.open(repo.store, Secret("older"), cache_dir=tmp_path).key_id == key_id
