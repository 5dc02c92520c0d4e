"""What a writer key or a storage-only attacker tries against format 3, found in review:
each must fail, and say so, rather than be accepted or lock the owner out (issue 15)."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from test_key_roles import MANAGER, OWNER, WRITER, _hand_forged, open_as

from bkctl.archiver import backup_paths
from bkctl.errors import PassphraseError, RepositoryCorruptError
from bkctl.repo import KdfParams, Repository
from bkctl.repo.index import encode_index, new_index_name
from bkctl.repo.keyring import add_key
from bkctl.repo.keys import master_payload
from bkctl.repo.pack import PackBuilder
from bkctl.repo.points import encode_point, sign_point
from bkctl.repo.repository import KeysRotatedError
from bkctl.repo.rotation import reencrypt, rotate_keys, rotation_pending
from bkctl.repo.verify import verify
from bkctl.restorer import restore_point
from bkctl.secrets import Secret
from bkctl.store import LocalStore


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
    folder.mkdir()
    (folder / "a.txt").write_text("alpha\n" * 5000)
    (folder / "b.bin").write_bytes(os.urandom(200_000))
    return folder


def test_removing_a_writer_does_not_launder_its_forged_points(store: LocalStore, data: Path, tmp_path: Path) -> None:
    with open_as(store, WRITER, tmp_path / "w") as writer:
        mine = backup_paths(writer, workload="docs", host="web1", paths=[data])
        forged = _hand_forged(writer, mine, host="db1")
        writer_id = writer.key_id
    with open_as(store, OWNER, tmp_path / "o") as owner:
        owner.remove_key(writer_id)
    with open_as(store, OWNER, tmp_path / "o2") as owner:
        assert [p.id for p in owner.list_points()] == [mine.id]  # the honest point stays, adopted
        assert f"points/{forged}" in owner.damaged  # the forged one is not vouched for


def test_a_writer_opened_before_a_rotation_refuses_to_back_up_under_the_retired_epoch(
        store: LocalStore, data: Path, tmp_path: Path) -> None:
    writer = open_as(store, WRITER, tmp_path / "w")
    writer.list_points()
    with open_as(store, OWNER, tmp_path / "o") as owner:
        rotate_keys(owner)
        reencrypt(owner)
    with pytest.raises(KeysRotatedError, match="rotated since this run opened it"):
        backup_paths(writer, workload="docs", host="web1", paths=[data])
    writer.close()
    with open_as(store, WRITER, tmp_path / "w") as fresh, open_as(store, OWNER, tmp_path / "o3") as owner:
        point = backup_paths(fresh, workload="docs", host="web1", paths=[data])
        assert [p.id for p in owner.list_points()] == [point.id]


def test_a_copy_of_the_owners_key_object_under_another_name_does_not_lock_the_owner_out(
        store: LocalStore, tmp_path: Path) -> None:
    with open_as(store, OWNER, tmp_path / "o") as owner:
        key_id = owner.key_id
    store.put("keys/" + "0" * 32, store.get(f"keys/{key_id}"))  # sorts first, has no grant
    with open_as(store, OWNER, tmp_path / "o2") as owner:
        assert owner.key_id == key_id and owner.role == "owner"


def test_a_point_signed_by_a_manager_key_is_refused(store: LocalStore, data: Path, tmp_path: Path) -> None:
    with open_as(store, WRITER, tmp_path / "w") as writer:
        model = backup_paths(writer, workload="docs", host="web1", paths=[data])
    with open_as(store, MANAGER, tmp_path / "m") as manager:
        assert manager.roles is not None
        forged = replace(model, id="ab" * 16)
        name = f"points/{forged.id}"
        store.put(name, sign_point(encode_point(manager.key, forged), name, manager.key_id,
                                   manager.roles.secrets.signing))
    with open_as(store, OWNER, tmp_path / "o") as owner:
        assert [p.id for p in owner.list_points()] == [model.id]
        assert "manager key" in owner.damaged["points/" + "ab" * 16]


def test_a_point_replayed_under_another_name_is_refused(store: LocalStore, data: Path, tmp_path: Path) -> None:
    with open_as(store, WRITER, tmp_path / "w") as writer:
        point = backup_paths(writer, workload="docs", host="web1", paths=[data])
    store.put("points/" + "cd" * 16, store.get(f"points/{point.id}"))
    with open_as(store, OWNER, tmp_path / "o") as owner:
        assert [p.id for p in owner.list_points()] == [point.id]
        assert "points/" + "cd" * 16 in owner.damaged


def test_a_format_2_key_object_opens_nothing_in_a_format_3_repository(store: LocalStore, tmp_path: Path) -> None:
    """A writer wrapping its metadata key as a role-less (format 2) key object gains no owner role."""
    with open_as(store, WRITER, tmp_path / "w") as writer:
        add_key(store, master_payload(writer.key), Secret("mine"), KdfParams.fast())
    with pytest.raises(PassphraseError):
        open_as(store, Secret("mine"), tmp_path / "x")
    assert json.loads(store.get("config"))["version"] == 3


def test_unknown_signer_lookups_do_not_reload_keys_per_point(store: LocalStore, data: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    with open_as(store, WRITER, tmp_path / "w") as writer:
        for _ in range(3):
            (data / "a.txt").write_text(os.urandom(8).hex())
            backup_paths(writer, workload="docs", host="web1", paths=[data])
    with open_as(store, OWNER, tmp_path / "o") as owner:
        calls = []
        original = owner.signers
        monkeypatch.setattr(owner, "signers", lambda **kw: calls.append(kw) or original(**kw))
        assert len(owner.list_points()) == 3
        assert sum(1 for kw in calls if kw.get("refresh")) == 0


def test_a_writers_fake_copies_do_not_make_re_encryption_skip_real_data(
        store: LocalStore, data: Path, tmp_path: Path) -> None:
    """Between rotate and re-encrypt a writer adds a pack whose header (and an index object)
    claim another host's blobs: re-encryption decides nothing from them."""
    with open_as(store, OWNER, tmp_path / "o") as owner:
        victim = backup_paths(owner, workload="db", host="db1", paths=[data])
        rotate_keys(owner)
    with open_as(store, WRITER, tmp_path / "w") as writer:
        stolen = [(blob_id, entry) for blob_id, entry in writer.index.items()]
        builder = PackBuilder()
        for blob_id, entry in stolen:
            builder.add(blob_id, entry.kind, os.urandom(entry.length), entry.raw_length)
        fake = builder.finish(writer.key)
        fake.store(store)
        store.put(new_index_name(), encode_index(writer.key, fake.entries))
    with open_as(store, OWNER, tmp_path / "o2") as owner:
        stats = reencrypt(owner)
        assert len(stats.not_authentic) == len(stolen)  # every forged blob named, none vouched for
    with open_as(store, OWNER, tmp_path / "o3") as owner:
        assert verify(owner, read_data_percent=100).ok
        restore_point(owner, victim.id, tmp_path / "out")
    assert (tmp_path / "out" / data.relative_to(data.anchor) / "b.bin").read_bytes() == (data / "b.bin").read_bytes()


def test_a_planted_object_does_not_block_the_rotation(store: LocalStore, data: Path, tmp_path: Path) -> None:
    with open_as(store, OWNER, tmp_path / "o") as owner:
        point = backup_paths(owner, workload="docs", host="web1", paths=[data])
        rotate_keys(owner)
    store.put("runs/" + "ee" * 16, os.urandom(200))  # anyone who can write can add garbage
    with open_as(store, OWNER, tmp_path / "o2") as owner:
        stats = reencrypt(owner)
        assert any("runs/" + "ee" * 16 in item for item in stats.not_authentic)
        assert "did not authenticate" in stats.describe()
        assert rotation_pending(owner) is None and [e.number for e in owner.roles.epochs] == [1]
        restore_point(owner, point.id, tmp_path / "out")


def test_a_writer_cannot_rewrite_the_config(store: LocalStore, tmp_path: Path) -> None:
    """The config's tag uses the metadata key writers hold; the owner's signature decides."""
    from bkctl.repo import config as repo_config

    with open_as(store, WRITER, tmp_path / "w") as writer:
        document = json.loads(store.get("config"))
        store.put("config", repo_config.encode(writer.key, {**document, "epoch": 7}, 3))  # a valid mac
    with pytest.raises(RepositoryCorruptError, match="not signed by the owner"):
        open_as(store, OWNER, tmp_path / "o")


def test_putting_back_an_old_config_and_grants_is_refused_where_the_new_one_was_seen(
        store: LocalStore, data: Path, tmp_path: Path) -> None:
    """Undoing a revocation by replaying the objects of before it (old S3 versions, say)."""
    with open_as(store, MANAGER, tmp_path / "m") as leaked:
        leaked_id = leaked.key_id
    before = {name: store.get(name) for name in ("config", *store.list("grants/"), *store.list("keys/"))}
    with open_as(store, OWNER, tmp_path / "o") as owner:
        owner.remove_key(leaked_id)
        rotate_keys(owner)
        reencrypt(owner)
    with open_as(store, WRITER, tmp_path / "w") as writer:  # this host has seen the new generation
        backup_paths(writer, workload="docs", host="web1", paths=[data])
    for name, raw in before.items():
        store.put(name, raw)
    with pytest.raises(RepositoryCorruptError, match="older than generation"):
        open_as(store, WRITER, tmp_path / "w")
    with pytest.raises(RepositoryCorruptError, match="older than generation"):
        open_as(store, OWNER, tmp_path / "o")


def test_a_writers_forged_mark_and_fake_copies_make_no_reclaim_delete_live_data(
        store: LocalStore, data: Path, tmp_path: Path) -> None:
    """Marks and index objects carry the metadata key writers hold: a ripe mark naming another
    host's packs and index entries giving their blobs "copies" elsewhere must not get them deleted."""
    from datetime import UTC, datetime, timedelta

    from bkctl.repo.marks import Mark, write_mark
    from bkctl.repo.reclaim import reclaim

    with open_as(store, OWNER, tmp_path / "o") as owner:
        victim = backup_paths(owner, workload="db", host="db1", paths=[data])
        victim_packs = set(store.list("data/"))
    with open_as(store, WRITER, tmp_path / "w") as writer:
        builder = PackBuilder()
        for blob_id, entry in list(writer.index.items()):
            builder.add(blob_id, entry.kind, os.urandom(entry.length), entry.raw_length)
        fake = builder.finish(writer.key)
        fake.store(store)
        store.put(new_index_name(), encode_index(writer.key, fake.entries))
        old = datetime.now(UTC) - timedelta(days=30)
        write_mark(store, writer.key, Mark("ff" * 16, old, tuple(sorted(victim_packs)), 1, ()))
    with open_as(store, MANAGER, tmp_path / "m") as manager:
        reclaim(manager, grace=timedelta(0))
        reclaim(manager, grace=timedelta(0))
    assert victim_packs <= set(store.list("data/"))
    assert "marks/" + "ff" * 16 not in set(store.list("marks/"))  # dropped as not signed by a maintainer
    with open_as(store, OWNER, tmp_path / "o2") as owner:
        restore_point(owner, victim.id, tmp_path / "out")
    assert (tmp_path / "out" / data.relative_to(data.anchor) / "b.bin").read_bytes() == (data / "b.bin").read_bytes()


def test_a_manager_key_refuses_to_back_up_before_storing_anything(store: LocalStore, data: Path,
                                                                 tmp_path: Path) -> None:
    from bkctl.errors import KeyRoleError

    with open_as(store, MANAGER, tmp_path / "m") as manager, \
            pytest.raises(KeyRoleError, match="manager key does not write recovery points"):
        backup_paths(manager, workload="docs", host="web1", paths=[data])
    assert list(store.list("data/")) == [] and list(store.list("points/")) == []
