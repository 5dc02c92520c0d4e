"""Key roles (format 3): a writer adds backups and can read, list or delete nothing; a manager
prunes and reclaims without reading file contents; the owner does everything (issue 15)."""

from __future__ import annotations

import os
import secrets
from dataclasses import replace
from pathlib import Path

import pytest
from legacy import legacy_repository

from bkctl.archiver import backup_paths
from bkctl.errors import BkctlError, KeyRoleError, PassphraseError
from bkctl.repo import KdfParams, Repository
from bkctl.repo.keys import Endorsement, KeyObject
from bkctl.repo.points import PointInfo, encode_point, sign_point
from bkctl.repo.reachability import point_nodes
from bkctl.repo.reclaim import reclaim
from bkctl.restorer import restore_point
from bkctl.secrets import Secret
from bkctl.store import LocalStore

OWNER, WRITER, MANAGER = Secret("owner pw"), Secret("writer pw"), Secret("manager pw")


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    store = LocalStore(tmp_path / "repo")
    with Repository.init(store, OWNER, kdf=KdfParams.fast(), cache_dir=tmp_path / "owner-cache") as owner:
        owner.add_key(WRITER, KdfParams.fast(), role="writer", host="web1")
        owner.add_key(MANAGER, KdfParams.fast(), role="manager")
    return store


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("alpha\n" * 5000)
    (folder / "sub" / "b.bin").write_bytes(os.urandom(300_000))
    (folder / "sub" / "secret-name.txt").write_text("payroll\n")
    return folder


def open_as(store: LocalStore, secret: Secret, cache: Path) -> Repository:
    return Repository.open(store, secret, cache_dir=cache)


def test_a_writer_backs_up_incrementally_and_the_owner_restores_byte_identical(
        store: LocalStore, data: Path, tmp_path: Path) -> None:
    with open_as(store, WRITER, tmp_path / "w-cache") as writer:
        assert writer.role == "writer"
        first = backup_paths(writer, workload="docs", host="web1", paths=[data])
        second = backup_paths(writer, workload="docs", host="web1", paths=[data])
    assert first.stats["new_bytes"] > 300_000
    assert second.stats["new_bytes"] == 0 and second.stats["reused_files"] == 3
    with open_as(store, OWNER, tmp_path / "o-cache") as owner:
        assert [p.id for p in owner.list_points()] == [first.id, second.id]
        restore_point(owner, second.id, tmp_path / "out")
    restored = tmp_path / "out" / data.relative_to(data.anchor)
    for name in ("a.txt", "sub/b.bin", "sub/secret-name.txt"):
        assert (restored / name).read_bytes() == (data / name).read_bytes()


def test_a_writer_without_its_cache_reads_everything_but_stores_nothing_again(
        store: LocalStore, data: Path, tmp_path: Path) -> None:
    with open_as(store, WRITER, tmp_path / "w-cache") as writer:
        backup_paths(writer, workload="docs", host="web1", paths=[data])
    with open_as(store, WRITER, tmp_path / "fresh-cache") as writer:  # a rebuilt host
        again = backup_paths(writer, workload="docs", host="web1", paths=[data])
    assert again.stats["bytes_read"] > 300_000 and again.stats["new_bytes"] == 0


def test_a_writer_cannot_list_names_restore_delete_or_add_keys(store: LocalStore, data: Path, tmp_path: Path) -> None:
    with open_as(store, WRITER, tmp_path / "w-cache") as writer:
        point = backup_paths(writer, workload="docs", host="web1", paths=[data])
        with pytest.raises(KeyRoleError, match="writer key cannot read folder listings"):
            list(point_nodes(writer, point.root))
        with pytest.raises(KeyRoleError, match="writer key cannot read"):
            restore_point(writer, point.id, tmp_path / "out")
        with pytest.raises(KeyRoleError, match="writer key cannot delete recovery points"):
            writer.delete_points([point.id])
        with pytest.raises(KeyRoleError, match="writer key cannot reclaim space"):
            reclaim(writer)
        with pytest.raises(KeyRoleError, match="writer key cannot add keys"):
            writer.add_key(Secret("x"), KdfParams.fast(), role="owner")
        assert KeyRoleError("x").exit_code == 77
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.txt"))
    everything = b"".join(p.read_bytes() for p in (tmp_path / "repo").rglob("*") if p.is_file())
    assert b"secret-name" not in everything and b"payroll" not in everything


def test_a_writer_cannot_read_even_what_it_wrote_in_an_earlier_session(
        store: LocalStore, data: Path, tmp_path: Path) -> None:
    with open_as(store, WRITER, tmp_path / "w-cache") as writer:
        point = backup_paths(writer, workload="docs", host="web1", paths=[data])
    with open_as(store, WRITER, tmp_path / "w-cache") as writer, pytest.raises(KeyRoleError):
        writer.load_tree(point.root)


def test_a_manager_prunes_and_reclaims_but_reads_no_file_contents(store: LocalStore, data: Path,
                                                                  tmp_path: Path) -> None:
    with open_as(store, OWNER, tmp_path / "o-cache") as owner:
        old = backup_paths(owner, workload="docs", host="web1", paths=[data])
        (data / "sub" / "b.bin").write_bytes(os.urandom(300_000))
        new = backup_paths(owner, workload="docs", host="web1", paths=[data])
    with open_as(store, MANAGER, tmp_path / "m-cache") as manager:
        assert manager.role == "manager"
        assert any(path.endswith("sub/secret-name.txt") for path, _ in point_nodes(manager, new.root))  # names
        with pytest.raises(KeyRoleError, match="manager key cannot read file contents"):
            restore_point(manager, new.id, tmp_path / "out")
        manager.delete_points([old.id])
        stats = reclaim(manager, immediate=True)
        assert stats.packs_deleted + stats.packs_repacked >= 1
        with pytest.raises(KeyRoleError, match="manager key cannot add keys"):
            manager.add_key(Secret("x"), KdfParams.fast(), role="writer")
    with open_as(store, OWNER, tmp_path / "o-cache2") as owner:
        restore_point(owner, new.id, tmp_path / "out")
    assert (tmp_path / "out" / data.relative_to(data.anchor) / "sub" / "b.bin").read_bytes() == \
        (data / "sub" / "b.bin").read_bytes()


def test_a_writer_cannot_forge_a_point_of_another_host(store: LocalStore, data: Path, tmp_path: Path) -> None:
    with open_as(store, WRITER, tmp_path / "w-cache") as writer:
        with pytest.raises(KeyRoleError, match="belongs to host 'web1'"):
            backup_paths(writer, workload="db", host="db1", paths=[data])  # refused before anything is stored
        mine = backup_paths(writer, workload="docs", host="web1", paths=[data])
        forged = _hand_forged(writer, mine, host="db1")
    with open_as(store, OWNER, tmp_path / "o-cache") as owner:
        assert [p.id for p in owner.list_points()] == [mine.id]
        assert "claims host 'db1'" in owner.damaged[f"points/{forged}"]


def _hand_forged(writer: Repository, model: PointInfo, host: str) -> str:
    """What a modified writer could store: a point of ``host``, signed with its own key."""
    assert writer.roles is not None
    forged = replace(model, id=secrets.token_hex(16), host=host)
    name = f"points/{forged.id}"
    writer.store.put(name, sign_point(encode_point(writer.key, forged), name, writer.key_id,
                                      writer.roles.secrets.signing))
    return forged.id


def test_a_key_the_owner_did_not_endorse_signs_nothing(store: LocalStore, data: Path, tmp_path: Path) -> None:
    """A writer (or a stolen storage credential) registering its own key object gains nothing."""
    with open_as(store, WRITER, tmp_path / "w-cache") as writer:
        point = backup_paths(writer, workload="docs", host="web1", paths=[data])
        writer_id = writer.key_id
    raw = store.get(f"keys/{writer_id}")
    original = KeyObject.from_bytes(writer_id, raw)
    assert original.endorsement is not None
    tampered = KeyObject(original.info, original.kdf, original.salt, original.wrapped,
                         Endorsement(os.urandom(32), original.endorsement.grant, original.endorsement.signature))
    store.put(f"keys/{writer_id}", tampered.to_bytes())
    with open_as(store, OWNER, tmp_path / "o-cache") as owner:
        assert owner.list_points() == []
        assert "did not endorse" in owner.damaged[f"points/{point.id}"]


def test_writers_dedup_within_their_host_never_across_hosts(store: LocalStore, data: Path, tmp_path: Path) -> None:
    """The dedup domain is the writer key: one host cannot probe whether another stored a file."""
    with open_as(store, OWNER, tmp_path / "o-cache") as owner:
        owner.add_key(Secret("second"), KdfParams.fast(), role="writer", host="web2")
    with open_as(store, WRITER, tmp_path / "w1") as first:
        one = backup_paths(first, workload="docs", host="web1", paths=[data])
        first_id = first.cipher.blob_id(b"probe")
    with open_as(store, Secret("second"), tmp_path / "w2") as second:
        two = backup_paths(second, workload="docs", host="web2", paths=[data])
        assert second.cipher.blob_id(b"probe") != first_id
    assert two.stats["new_bytes"] == one.stats["new_bytes"] > 300_000


def test_a_format_2_repository_keeps_working_and_says_roles_need_a_new_one(tmp_path: Path, data: Path) -> None:
    store = LocalStore(tmp_path / "old")
    legacy_repository(store, OWNER, version=2)
    with open_as(store, OWNER, tmp_path / "c2") as old:
        assert old.format == 2 and old.role == "owner" and old.roles is None
        point = backup_paths(old, workload="docs", host="web1", paths=[data])
        restore_point(old, point.id, tmp_path / "out")
        with pytest.raises(KeyRoleError, match="predates key roles"):
            old.add_key(WRITER, KdfParams.fast(), role="writer")
        old.add_key(Secret("another"), KdfParams.fast())
    with open_as(store, Secret("another"), tmp_path / "c3") as again:
        assert [p.id for p in again.list_points()] == [point.id]


def test_the_last_owner_key_cannot_be_removed_while_other_roles_remain(store: LocalStore, tmp_path: Path) -> None:
    """Losing every owner key loses every restore: bkctl never removes the last one."""
    with open_as(store, OWNER, tmp_path / "o") as owner:
        second = owner.add_key(Secret("second owner"), KdfParams.fast(), role="owner")
    with open_as(store, Secret("second owner"), tmp_path / "o2") as other:
        first = next(key.id for key in other.list_keys() if key.role == "owner" and key.id != second)
        other.remove_key(first)  # two owners: one may go
    with open_as(store, MANAGER, tmp_path / "m") as manager, pytest.raises(KeyRoleError):
        manager.remove_key(second)
    with open_as(store, Secret("second owner"), tmp_path / "o3") as last:
        writer = next(key.id for key in last.list_keys() if key.role == "writer")
        last.remove_key(writer)
        with pytest.raises(BkctlError, match="last owner key"):
            from bkctl.repo import keyring

            keyring.remove_key(store, second, in_use="someone else")


def test_passwd_re_wraps_and_does_not_revoke(store: LocalStore, tmp_path: Path) -> None:
    """A copy of the key object taken before ``keys passwd`` still opens with the old passphrase:
    revoking needs ``keys remove`` and ``keys rotate`` (test_key_rotation.py)."""
    with open_as(store, WRITER, tmp_path / "w") as writer:
        before = store.get(f"keys/{writer.key_id}")
        writer.change_passphrase(Secret("new writer pw"), KdfParams.fast())
        key_id = writer.key_id
    assert store.get(f"keys/{key_id}") != before
    with open_as(store, Secret("new writer pw"), tmp_path / "w2") as renewed:
        assert renewed.key_id == key_id and renewed.role == "writer"
    store.put(f"keys/{key_id}", before)  # the leaked copy
    with open_as(store, WRITER, tmp_path / "w3") as leaked:
        assert leaked.role == "writer"


def test_a_writer_lists_points_but_not_what_they_hold(store: LocalStore, data: Path, tmp_path: Path) -> None:
    """Point documents keep root, paths and errors in a part only tree readers open: a writer
    (and the planner) sees times, hosts and sizes, never a file name."""
    (data / "unreadable.txt").write_text("x")
    (data / "unreadable.txt").chmod(0)
    try:
        with open_as(store, WRITER, tmp_path / "w") as writer:
            point = backup_paths(writer, workload="docs", host="web1", paths=[data])
            (listed,) = writer.list_points()
    finally:
        (data / "unreadable.txt").chmod(0o600)
    assert listed.id == point.id and listed.stats["files"] >= 3
    assert (listed.root, listed.paths, listed.errors) == ("", [], [])
    with open_as(store, MANAGER, tmp_path / "m") as manager:
        (full,) = manager.list_points()
    assert full.root == point.root and full.paths == [str(data)]
    assert os.geteuid() == 0 or any("unreadable.txt" in error for error in full.errors)
    assert str(data).encode() not in store.get(f"points/{point.id}")


def test_removing_a_writer_key_keeps_its_hosts_history(store: LocalStore, data: Path, tmp_path: Path) -> None:
    """A decommissioned host's points stay valid: the owner signs them again before its key goes."""
    with open_as(store, WRITER, tmp_path / "w") as writer:
        point = backup_paths(writer, workload="docs", host="web1", paths=[data])
        writer_id = writer.key_id
    with open_as(store, OWNER, tmp_path / "o") as owner:
        owner.remove_key(writer_id)
    with open_as(store, OWNER, tmp_path / "o2") as owner:
        assert [p.id for p in owner.list_points()] == [point.id] and owner.damaged_points() == []
        restore_point(owner, point.id, tmp_path / "out")
    with pytest.raises(PassphraseError):
        open_as(store, WRITER, tmp_path / "w2")


def test_a_restore_drill_of_a_writers_point_compares_in_its_dedup_domain(
        store: LocalStore, data: Path, tmp_path: Path) -> None:
    """The owner checks a writer's restored files against chunk ids keyed in the writer's domain."""
    from bkctl.restorer.compare import compare_restored

    with open_as(store, WRITER, tmp_path / "w") as writer:
        point = backup_paths(writer, workload="docs", host="web1", paths=[data])
    with open_as(store, OWNER, tmp_path / "o") as owner:
        assert owner.get_point(point.id).domain.startswith("writer:")
        restore_point(owner, point.id, tmp_path / "out")
        comparison = compare_restored(owner, point.id, tmp_path / "out")
        assert comparison.ok, comparison.differences
        (tmp_path / "out" / data.relative_to(data.anchor) / "a.txt").write_text("changed\n" * 5000)
        assert not compare_restored(owner, point.id, tmp_path / "out").ok


def test_a_host_tries_its_own_key_first_among_many(store: LocalStore, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Each try costs a key derivation (0.1 s, 64 MiB by default): with a writer key per host, a
    host must not derive through hundreds of others' keys at every run."""
    from bkctl.repo import keyring

    with open_as(store, OWNER, tmp_path / "o") as owner:
        for number in range(6):
            owner.add_key(Secret(f"host {number}"), KdfParams.fast(), role="writer", host=f"h{number}")
    tries: list[str] = []
    real = keyring.unwrap_payload
    monkeypatch.setattr(keyring, "unwrap_payload", lambda key, secret: tries.append(key.info.id) or real(key, secret))
    with open_as(store, Secret("host 4"), tmp_path / "h4"):
        pass
    first_open = len(tries)
    tries.clear()
    with open_as(store, Secret("host 4"), tmp_path / "h4") as again:
        assert again.role == "writer"
    assert tries == [again.key_id] and first_open >= 1
