"""The append-only store: history is only added to until the owner opens the repository."""

from __future__ import annotations

import pytest

from bkctl.errors import ExitCode, KeyRoleError
from bkctl.store import MemoryStore
from bkctl.store.append_only import AppendOnlyStore

HISTORY = ["config", "keys/k1", "data/ab/abcd", "index/i1", "points/p1", "sessions/s1", "marks/m1"]
BOOKKEEPING = ["locks/l1", "runs/r1", "copymaps/src/c1", "meta/last-verify"]


def repository_store(role: str | None = "writer") -> tuple[MemoryStore, AppendOnlyStore]:
    inner = MemoryStore()
    for name in HISTORY + BOOKKEEPING:
        inner.put(name, b"old")
    guarded = AppendOnlyStore(inner, target="local")
    guarded.opened_with(role)
    return inner, guarded


@pytest.mark.parametrize("name", HISTORY)
def test_a_non_owner_cannot_delete_history_and_the_error_names_target_object_and_role(name: str) -> None:
    inner, store = repository_store("manager")
    with pytest.raises(KeyRoleError) as refused:
        store.delete(name)
    assert refused.value.exit_code == ExitCode.KEY_ROLE
    assert f"target 'local' is append-only: a manager key may not delete {name}" in refused.value.message
    assert inner.get(name) == b"old"


@pytest.mark.parametrize("name", HISTORY)
def test_a_non_owner_cannot_overwrite_history(name: str) -> None:
    inner, store = repository_store("writer")
    with pytest.raises(KeyRoleError, match=f"a writer key may not overwrite {name}"):
        store.put(name, b"new")
    assert inner.get(name) == b"old"


def test_a_run_that_opened_no_repository_is_refused_too() -> None:
    _, store = repository_store(None)
    with pytest.raises(KeyRoleError, match="a run without the owner key may not delete points/p1"):
        store.delete("points/p1")


def test_new_objects_are_accepted_from_any_key() -> None:
    inner, store = repository_store("writer")
    for name in ["data/cd/cdef", "index/i2", "points/p2", "sessions/s2", "keys/k2"]:
        store.put(name, b"new")
        assert inner.get(name) == b"new"


@pytest.mark.parametrize("name", BOOKKEEPING)
def test_locks_run_records_copy_maps_and_the_verify_marker_stay_mutable(name: str) -> None:
    inner, store = repository_store("writer")
    store.put(name, b"refreshed")
    assert inner.get(name) == b"refreshed"
    store.delete(name)
    assert not inner.exists(name)


def test_a_pack_this_process_stored_may_be_deleted_again_but_not_one_it_found() -> None:
    inner, store = repository_store("writer")
    store.put("data/ef/ef01", b"unindexed pack of a failed backup")
    store.delete("data/ef/ef01")
    assert not inner.exists("data/ef/ef01")
    with pytest.raises(KeyRoleError):
        store.delete("data/ab/abcd")
    store.put("index/i3", b"its own index object")
    with pytest.raises(KeyRoleError):  # only packs: a backup never deletes anything else it wrote
        store.delete("index/i3")


def test_the_owner_deletes_and_overwrites_anything() -> None:
    inner, store = repository_store("owner")
    store.put("points/p1", b"rewritten")
    assert inner.get("points/p1") == b"rewritten"
    for name in HISTORY:
        store.delete(name)
    assert not any(inner.exists(name) for name in HISTORY)


def test_before_a_repository_exists_nothing_is_refused() -> None:
    inner = MemoryStore()
    inner.put("keys/leftover", b"a crashed init's key")
    store = AppendOnlyStore(inner, target="local")
    store.delete("keys/leftover")
    assert not inner.exists("keys/leftover")


def test_require_owner_names_the_target_the_role_and_what_was_asked() -> None:
    _, store = repository_store("manager")
    with pytest.raises(KeyRoleError) as refused:
        store.require_owner("reclaim space")
    assert refused.value.message == ("target 'local' is append-only: a manager key cannot reclaim space; "
                                     "that needs the owner key")
    assert "owner key's passphrase" in refused.value.hint
    _, owned = repository_store("owner")
    owned.require_owner("reclaim space")
