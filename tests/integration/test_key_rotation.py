"""Key rotation: after ``keys rotate`` and the re-encryption, no object opens with the old
epoch's secrets (tried on every object), every point restores, and a key removed before the
rotation opens nothing (issue 15)."""

from __future__ import annotations

import json
import os
import struct
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from bkctl.archiver import backup_paths
from bkctl.errors import BkctlError, KeyRoleError, RepositoryCorruptError
from bkctl.model.runs import RunRecord
from bkctl.repo import KdfParams, Repository
from bkctl.repo.crypto import MasterKey
from bkctl.repo.reclaim import reclaim
from bkctl.repo.roles import Epoch, _unwrap
from bkctl.repo.rotation import reencrypt, rotate_keys, rotation_pending
from bkctl.repo.runs import append_run
from bkctl.repo.verify import verify
from bkctl.restorer import restore_point
from bkctl.secrets import Secret
from bkctl.store import LocalStore

OWNER, WRITER, LEAKED = Secret("owner"), Secret("writer"), Secret("leaked")
_AD = {"index/": b"bkctl-index", "points/": b"bkctl-point", "marks/": b"bkctl-mark", "runs/": b"bkctl-run"}


def test_after_rotation_no_object_opens_with_the_old_secrets_and_every_point_restores(tmp_path: Path) -> None:
    store, source = LocalStore(tmp_path / "repo"), _source(tmp_path)
    owner = Repository.init(store, OWNER, kdf=KdfParams.fast(), cache_dir=tmp_path / "o")
    owner.add_key(WRITER, KdfParams.fast(), role="writer", host="web1")
    leaked = owner.add_key(LEAKED, KdfParams.fast(), role="manager")
    pruned = backup_paths(owner, workload="docs", host="web1", paths=[source])
    with Repository.open(store, WRITER, cache_dir=tmp_path / "w") as writer:
        written = backup_paths(writer, workload="docs", host="web1", paths=[source])
    owner.delete_points([pruned.id])
    reclaim(owner, grace=timedelta(0))  # leaves a mark
    append_run(owner, _run())
    assert owner.roles is not None
    old = owner.roles.current
    assert opens_something(store, old)  # the check below can tell readable from not

    owner.remove_key(leaked)  # the leaked key goes first, then the rotation revokes what it knew
    assert rotate_keys(owner) == 1
    (source / "after.txt").write_text("written under the new epoch\n")
    with Repository.open(store, WRITER, cache_dir=tmp_path / "w") as writer:  # writers carry on meanwhile
        during = backup_paths(writer, workload="docs", host="web1", paths=[source])
    assert rotation_pending(owner) is not None
    stats = reencrypt(owner)
    assert stats.packs_rewritten >= 1 and stats.sessions_retired >= 2 and rotation_pending(owner) is None

    assert not opens_something(store, old)
    fresh = Repository.open(store, OWNER, cache_dir=tmp_path / "o2")
    assert fresh.roles is not None and [e.number for e in fresh.roles.epochs] == [1]
    assert verify(fresh, read_data_percent=100).ok
    for point in (written, during):
        restore_point(fresh, point.id, tmp_path / f"out-{point.id[:6]}")
        back = tmp_path / f"out-{point.id[:6]}" / source.relative_to(source.anchor)
        assert (back / "big.bin").read_bytes() == (source / "big.bin").read_bytes()
    assert [p.id for p in fresh.list_points()] == [written.id, during.id]
    with Repository.open(store, WRITER, cache_dir=tmp_path / "w") as writer:
        assert backup_paths(writer, workload="docs", host="web1", paths=[source]).stats["new_bytes"] == 0


def test_a_key_removed_before_the_rotation_opens_nothing_after_it(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "repo")
    owner = Repository.init(store, OWNER, kdf=KdfParams.fast(), cache_dir=tmp_path / "o")
    leaked = owner.add_key(LEAKED, KdfParams.fast(), role="writer", host="web9")
    key_object, grant = store.get(f"keys/{leaked}"), store.get(f"grants/{leaked}")
    owner.remove_key(leaked)
    rotate_keys(owner)
    reencrypt(owner)
    store.put(f"keys/{leaked}", key_object)  # an attacker with storage access puts them back
    store.put(f"grants/{leaked}", grant)
    with pytest.raises(KeyRoleError, match="was removed from this repository"):
        Repository.open(store, LEAKED, cache_dir=tmp_path / "x")


def test_only_the_owner_rotates_and_not_twice_before_re_encrypting(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "repo")
    owner = Repository.init(store, OWNER, kdf=KdfParams.fast(), cache_dir=tmp_path / "o")
    owner.add_key(WRITER, KdfParams.fast(), role="writer")
    with Repository.open(store, WRITER, cache_dir=tmp_path / "w") as writer, \
            pytest.raises(KeyRoleError, match="writer key cannot rotate keys"):
        rotate_keys(writer)
    rotate_keys(owner)
    with pytest.raises(BkctlError, match="still re-encrypting"):
        rotate_keys(owner)
    reencrypt(owner)
    assert rotate_keys(owner) == 2


def opens_something(store: LocalStore, epoch: Epoch) -> bool:
    """Whether any object of the repository opens with ``epoch``'s secrets (tries them all)."""
    metadata = MasterKey(epoch.metadata, b"", 0)
    opened = [name for name in store.list("") if _opens(store, name, metadata, epoch)]
    return bool(opened)


def _opens(store: LocalStore, name: str, metadata: MasterKey, epoch: Epoch) -> bool:
    raw = store.get(name)
    attempts = []
    if raw.startswith(b"bkctl-signed-"):  # a signature envelope: magic, key id, signature
        raw = raw[raw.index(b"\x00") + 1 + 16 + 64:]
    prefix = name.split("/")[0] + "/"
    if prefix in _AD:
        attempts.append(lambda: metadata.open(raw, _AD[prefix]))
    if name.startswith("copymaps/"):
        attempts.append(lambda: metadata.open(raw, b"bkctl-copymap:" + name.split("/")[1].encode()))
    if name == "config":
        document = json.loads(raw)
        attempts.append(lambda: _config_opens(metadata, document))
    if name.startswith("data/"):
        (length,) = struct.unpack("<I", raw[-4:])
        attempts.append(lambda: metadata.open(raw[-4 - length:-4], b"bkctl-pack-header"))
    if name.startswith("sessions/"):
        document = json.loads(raw)
        session_id = bytes.fromhex(name.removeprefix("sessions/"))
        for kind, private in (("d", epoch.data_private), ("t", epoch.tree_private)):
            if private is None:
                continue
            attempts.append(lambda kind=kind, private=private: _unwrap(private, document[kind],
                                                                     session_id + kind.encode()))
    for attempt in attempts:
        try:
            attempt()
            return True
        except (RepositoryCorruptError, InvalidTag, ValueError):
            continue
    return False


def _config_opens(metadata: MasterKey, document: dict[str, object]) -> None:
    from bkctl.repo import config as repo_config

    if repo_config.authenticate(metadata, document):
        raise ValueError("unauthenticated format 1 config")


def _source(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    source.mkdir()
    (source / "big.bin").write_bytes(os.urandom(400_000))
    (source / "notes.txt").write_text("notes\n" * 1000)
    return source


def _run() -> RunRecord:
    from datetime import UTC, datetime

    return RunRecord(id="0" * 32, time=datetime.now(UTC), host="web1", target="local", seconds=1.0)
