"""The locking vault store against moto's S3 server, which enforces Object Lock retention."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from objstore import ObjectServer, moto_s3  # noqa: F401

from bkctl.model.state_times import end_of_utc_day
from bkctl.store.locked import LockingStore, ObjectLockedError, ObjectLockUnavailableError
from bkctl.store.objectlock import LockSettings, version_ids
from bkctl.store.objstore import LibcloudStore, driver_factory
from bkctl.targets.object_lock import LONG_LIVED


def _store(server: ObjectServer, bucket: str, *, days: int = 2,
           clock: timedelta = timedelta(0)) -> LockingStore:
    """A locking store on ``bucket``; ``clock`` shifts the time it believes it is."""
    connect = driver_factory("s3", lambda: (server.key, server.secret), host="127.0.0.1", port=server.port,
                             secure=False, region=server.region)
    settings = LockSettings(days=days, mode="compliance", long_lived=LONG_LIVED,
                            clock=lambda: datetime.now(UTC) + clock)
    return LockingStore(connect, bucket, "repo", lock=settings, description=f"bucket {bucket}")


@pytest.fixture
def bucket() -> str:
    return f"lock-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def store(moto_s3: ObjectServer, bucket: str) -> LockingStore:  # noqa: F811
    made = _store(moto_s3, bucket)
    made.ensure_container()
    return made


def _versions(store: LockingStore, name: str) -> list[str]:
    return version_ids(store._driver(), store.container_name, f"repo/{name}")


def test_a_missing_bucket_is_created_with_object_lock(store: LockingStore) -> None:
    store.check_object_lock()  # would raise on a bucket without it
    store.put("points/p1", b"point")
    assert store.lock_state("points/p1").until is not None


def test_long_lived_objects_are_locked_to_the_end_of_a_day_and_lock_files_are_not(store: LockingStore) -> None:
    store.put("data/ab/pack", b"pack bytes")
    store.put("locks/l1", b"{}")
    expected = end_of_utc_day(datetime.now(UTC) + timedelta(days=2))
    assert store.lock_state("data/ab/pack").until == expected
    assert store.lock_state("locks/l1").until is None


def test_deleting_a_locked_object_sends_no_delete_and_says_until_when(store: LockingStore) -> None:
    store.put("points/p1", b"point")
    with pytest.raises(ObjectLockedError) as caught:
        store.delete("points/p1")
    assert "object points/p1 is under object lock until" in caught.value.message
    assert caught.value.exit_code == 68
    assert len(_versions(store, "points/p1")) == 1  # no delete marker hides it
    assert store.get("points/p1") == b"point"


def test_the_server_refuses_to_delete_a_locked_version_and_that_is_the_same_clear_error(
        moto_s3: ObjectServer, store: LockingStore, bucket: str) -> None:  # noqa: F811
    store.put("points/p1", b"point")
    fooled = _store(moto_s3, bucket, clock=timedelta(days=30))  # believes the lock has ended
    with pytest.raises(ObjectLockedError, match="refuses to delete it"):
        fooled.delete("points/p1")
    assert store.get("points/p1") == b"point" and len(_versions(store, "points/p1")) == 1


def test_a_plain_delete_would_only_hide_a_locked_point(moto_s3: ObjectServer, store: LockingStore) -> None:  # noqa: F811
    """Why deletes go by version: libcloud's DELETE 'succeeds' on a locked object of a versioned bucket."""
    store.put("points/p1", b"point")
    LibcloudStore.delete(store, "points/p1")  # the plain store's delete, for the record
    assert not store.exists("points/p1")
    assert len(_versions(store, "points/p1")) == 2  # the locked version and a delete marker


def test_deleting_an_unlocked_object_removes_every_version(store: LockingStore) -> None:
    store.put("locks/l1", b"first")
    store.put("locks/l1", b"refreshed")
    store.delete("locks/l1")
    assert _versions(store, "locks/l1") == [] and not store.exists("locks/l1")


def test_extend_lock_lengthens_retention_and_never_asks_for_an_earlier_date(store: LockingStore) -> None:
    store.put("data/ab/pack", b"pack bytes")
    before = store.lock_state("data/ab/pack").until
    assert before is not None
    assert store.extend_lock("data/ab/pack", before + timedelta(days=5))
    assert store.lock_state("data/ab/pack").until == before + timedelta(days=5)
    assert not store.extend_lock("data/ab/pack", before)
    assert store.lock_state("data/ab/pack").until == before + timedelta(days=5)


def test_a_bucket_without_object_lock_is_refused_clearly(moto_s3: ObjectServer, bucket: str) -> None:  # noqa: F811
    moto_s3.store(bucket).ensure_container()  # a plain bucket
    with pytest.raises(ObjectLockUnavailableError, match="does not have object lock enabled") as caught:
        _store(moto_s3, bucket).check_object_lock()
    assert "remove 'immutable'" in caught.value.hint


def test_a_bucket_with_a_default_retention_is_refused(moto_s3: ObjectServer, store: LockingStore,  # noqa: F811
                                                      bucket: str) -> None:
    client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{moto_s3.port}", aws_access_key_id=moto_s3.key,
                          aws_secret_access_key=moto_s3.secret, region_name=moto_s3.region)
    client.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 3}}})
    with pytest.raises(ObjectLockUnavailableError, match="default retention"):
        store.check_object_lock()


def test_a_key_rotation_on_a_locked_vault_keeps_locked_packs_and_every_key_and_session(
        store: LockingStore, tmp_path) -> None:
    """Session keys and grants are locked like the packs they open: a stolen storage credential
    deleting them would make locked data unreadable. Re-encryption leaves locked old packs in
    place (unindexed) instead of failing, and everything restores."""
    import os

    from bkctl.archiver import backup_paths
    from bkctl.repo import KdfParams, Repository
    from bkctl.repo.rotation import reencrypt, rotate_keys
    from bkctl.restorer import restore_point
    from bkctl.secrets import Secret

    source = tmp_path / "src"
    source.mkdir()
    (source / "f.bin").write_bytes(os.urandom(100_000))
    repo = Repository.init(store, Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "c")
    point = backup_paths(repo, workload="w", host="h", paths=[source])
    for prefix in ("grants/", "sessions/"):
        name = next(iter(store.list(prefix)))
        with pytest.raises(ObjectLockedError):
            store.delete(name)
    rotate_keys(repo)
    stats = reencrypt(repo)
    assert stats.kept_by_lock >= 1 and "stay until their object lock ends" in stats.describe()
    restore_point(Repository.open(store, Secret("pw"), cache_dir=tmp_path / "c2"), point.id, tmp_path / "out")
    assert (tmp_path / "out" / source.relative_to(source.anchor) / "f.bin").read_bytes() == (
        source / "f.bin").read_bytes()


def test_a_writer_keys_backup_locks_what_its_point_needs_without_reading_trees(
        store: LockingStore, tmp_path) -> None:
    """A writer cannot walk trees: the blob ids it committed name the packs to lock, and the
    grants and session keys that open them are locked as long as the point."""
    import os

    from bkctl.archiver import backup_paths
    from bkctl.repo import KdfParams, Repository
    from bkctl.secrets import Secret
    from bkctl.targets.object_lock import lock_dependencies, needed_objects

    source = tmp_path / "src"
    source.mkdir()
    (source / "f.bin").write_bytes(os.urandom(100_000))
    owner = Repository.init(store, Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "o")
    owner.add_key(Secret("w"), KdfParams.fast(), role="writer", host="h")
    writer = Repository.open(store, Secret("w"), cache_dir=tmp_path / "w")
    point = backup_paths(writer, workload="w", host="h", paths=[source])
    references = {point.id: writer.committed_references or []}
    needed = needed_objects(writer, point.id, references[point.id])
    assert {name.split("/")[0] for name in needed} >= {"config", "keys", "grants", "sessions", "data", "points"}
    assert needed == needed_objects(owner, point.id)  # the same set the owner finds by walking the trees
    done = lock_dependencies(store, writer, [point.id], references)
    assert done.objects_checked == len(needed)


def test_a_key_removed_on_a_locked_vault_opens_nothing_though_its_object_stays(
        store: LockingStore, tmp_path) -> None:
    """The key object and grant are locked for days; the owner-signed config's revoked list
    is what takes the key away, at once, and a rotation grants it nothing."""
    from bkctl.errors import KeyRoleError
    from bkctl.repo import KdfParams, Repository
    from bkctl.repo.rotation import reencrypt, rotate_keys
    from bkctl.secrets import Secret

    owner = Repository.init(store, Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "o")
    key_id = owner.add_key(Secret("leaked"), KdfParams.fast(), role="writer", host="h")
    owner.remove_key(key_id)
    assert f"keys/{key_id}" in set(store.list("keys/"))  # the lock keeps the object...
    with pytest.raises(KeyRoleError, match="was removed"):  # ...and it opens nothing
        Repository.open(store, Secret("leaked"), cache_dir=tmp_path / "x")
    rotate_keys(owner)
    reencrypt(owner)
    with pytest.raises(KeyRoleError, match="was removed"):
        Repository.open(store, Secret("leaked"), cache_dir=tmp_path / "y")
    assert Repository.open(store, Secret("pw"), cache_dir=tmp_path / "o2").role == "owner"


def test_rewriting_a_locked_object_never_shortens_its_lock(store: LockingStore) -> None:
    """A point sealed again (key rotation, a removed key's points re-signed) keeps its extended date."""
    store.put("points/p1", b"first")
    later = end_of_utc_day(datetime.now(UTC) + timedelta(days=30))
    assert store.extend_lock("points/p1", later)
    store.put("points/p1", b"sealed again")
    assert store.get("points/p1") == b"sealed again"
    state = store.lock_state("points/p1")
    assert state.until is not None and state.until >= later
