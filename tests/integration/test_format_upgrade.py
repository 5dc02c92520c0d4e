"""A format 2 repository (one master key, every key an owner) upgraded to key roles: the
chunk ids stay (dedup carries on), the planned re-encryption leaves nothing the old master
key opens, and a kill before the config switch leaves the format 2 repository as it was."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from legacy import legacy_repository
from test_key_rotation import opens_something

from bkctl.archiver import backup_paths
from bkctl.errors import PassphraseError
from bkctl.repo import KdfParams, Repository
from bkctl.repo.reclaim import reclaim
from bkctl.repo.roles import Epoch
from bkctl.repo.rotation import reencrypt, rotation_pending, upgrade_to_roles
from bkctl.repo.verify import verify
from bkctl.restorer import restore_point
from bkctl.secrets import Secret
from bkctl.store import LocalStore

OWNER, OTHER = Secret("owner"), Secret("another passphrase")


def old_repository(tmp_path: Path) -> tuple[LocalStore, Path, list[str]]:
    store = LocalStore(tmp_path / "repo")
    legacy_repository(store, OWNER, version=2)
    source = tmp_path / "src"
    source.mkdir()
    (source / "big.bin").write_bytes(os.urandom(500_000))
    (source / "notes.txt").write_text("notes\n" * 2000)
    with Repository.open(store, OWNER, cache_dir=tmp_path / "c") as old:
        old.add_key(OTHER, KdfParams.fast())
        first = backup_paths(old, workload="docs", host="web1", paths=[source])
        (source / "notes.txt").write_text("changed\n" * 2000)
        second = backup_paths(old, workload="docs", host="web1", paths=[source])
        (source / "gone.bin").write_bytes(os.urandom(100_000))
        third = backup_paths(old, workload="docs", host="web1", paths=[source])
        old.delete_points([third.id])
        (source / "gone.bin").unlink()
        reclaim(old, grace=__import__("datetime").timedelta(0))  # a mark, sealed with the master key
    return store, source, [first.id, second.id]


def test_an_upgraded_repository_dedups_on_and_the_old_master_key_opens_nothing(tmp_path: Path) -> None:
    store, source, points = old_repository(tmp_path)
    with Repository.open(store, OWNER, cache_dir=tmp_path / "c") as old:
        master = Epoch.from_master(old.key)
        key_id, dropped = upgrade_to_roles(old, OWNER, KdfParams.fast())
        assert dropped == 1 and old.format == 3 and old.role == "owner"
    assert opens_something(store, master)
    assert json.loads(store.get("config"))["version"] == 3
    with pytest.raises(PassphraseError):
        Repository.open(store, OTHER, cache_dir=tmp_path / "x")  # to be added again, as a role
    pending = Repository.open(store, OWNER, cache_dir=tmp_path / "c")
    assert pending.key_id == key_id and rotation_pending(pending) is not None
    assert [p.id for p in pending.list_points()] == points  # unsigned format 2 points still read
    restore_point(pending, points[0], tmp_path / "during")
    pending.add_key(Secret("writer"), KdfParams.fast(), role="writer", host="web1")
    again = backup_paths(pending, workload="docs", host="web1", paths=[source])
    assert again.stats["new_bytes"] < 20_000  # the same chunk ids and boundaries: nothing stored twice
    assert pending.chunker.profile.name == "fastcdc-1MiB"  # kept for life, unlike a new repository's

    stats = reencrypt(pending)
    assert stats.packs_rewritten >= 2 and rotation_pending(pending) is None
    assert not opens_something(store, master)
    assert not _any_blob_opens_with(store, pending, master)
    final = Repository.open(store, OWNER, cache_dir=tmp_path / "c2")
    assert verify(final, read_data_percent=100).ok
    for point_id in [*points, again.id]:
        restore_point(final, point_id, tmp_path / f"out-{point_id[:6]}")
    back = tmp_path / f"out-{again.id[:6]}" / source.relative_to(source.anchor)
    assert (back / "big.bin").read_bytes() == (source / "big.bin").read_bytes()
    with Repository.open(store, Secret("writer"), cache_dir=tmp_path / "w") as writer:
        assert writer.role == "writer"
        backup_paths(writer, workload="docs", host="web1", paths=[source])


def test_a_kill_before_the_config_switch_leaves_the_format_2_repository_working(tmp_path: Path) -> None:
    store, source, points = old_repository(tmp_path)
    child = subprocess.run([sys.executable, "-c", CHILD, str(store.root), str(tmp_path / "c")],
                           env={**os.environ, "BKCTL_CRASH_AT": "upgrade-before-config", "BKCTL_TEST_FAST_KDF": "1"},
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr
    for secret in (OWNER, OTHER):
        with Repository.open(store, secret, cache_dir=tmp_path / "x") as still:
            assert still.format == 2 and [p.id for p in still.list_points()] == points
    with Repository.open(store, OWNER, cache_dir=tmp_path / "c") as old:
        upgrade_to_roles(old, OWNER, KdfParams.fast())
        reencrypt(old)
    with Repository.open(store, OWNER, cache_dir=tmp_path / "y") as upgraded:
        assert upgraded.format == 3 and len(upgraded.list_keys()) == 1
        assert verify(upgraded, read_data_percent=100).ok


CHILD = """
import sys
from pathlib import Path
from bkctl.repo import KdfParams, Repository
from bkctl.repo.rotation import upgrade_to_roles
from bkctl.secrets import Secret
from bkctl.store import LocalStore
repo = Repository.open(LocalStore(Path(sys.argv[1])), Secret("owner"), cache_dir=Path(sys.argv[2]))
upgrade_to_roles(repo, Secret("owner"), KdfParams.fast())
"""


def _any_blob_opens_with(store: LocalStore, repo: Repository, master: Epoch) -> bool:
    """Try the old master key on every blob of every pack (format 2 sealed blobs directly)."""
    from bkctl.repo.crypto import MasterKey
    from bkctl.repo.pack import read_pack_header

    key = MasterKey(master.metadata, b"", 0)
    for pack in store.list("data/"):
        for blob_id, entry in read_pack_header(store, repo.key, pack):
            sealed = store.get_range(pack, entry.offset, entry.length)
            try:
                key.open(sealed, entry.kind.encode() + blob_id)
                return True
            except Exception:  # any failure is "does not open"
                continue
    return False
