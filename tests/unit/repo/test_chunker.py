"""Chunking profiles: new repositories cut smaller chunks, older ones keep theirs for life."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from bkctl.archiver import backup_paths
from bkctl.errors import BkctlError
from bkctl.repo import KdfParams, Repository
from bkctl.repo.chunker import Chunker
from bkctl.restorer import restore_point
from bkctl.secrets import Secret
from bkctl.store import MemoryStore


def test_a_new_repository_cuts_half_megabyte_chunks_and_an_edit_restores_less(tmp_path: Path) -> None:
    store = MemoryStore()
    repo = Repository.init(store, Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "c")
    assert json.loads(store.get("config"))["chunker"] == "fastcdc-512KiB"
    source = tmp_path / "src"
    source.mkdir()
    image = bytearray(os.urandom(16 << 20))
    (source / "disk.img").write_bytes(image)
    backup_paths(repo, workload="vm", host="h", paths=[source])
    image[8 << 20: (8 << 20) + 4096] = os.urandom(4096)  # one 4 KiB block rewritten in place
    (source / "disk.img").write_bytes(image)
    edited = backup_paths(repo, workload="vm", host="h", paths=[source])
    assert 4096 <= edited.stats["new_bytes"] <= 2 * (2 << 20)  # one or two chunks of at most 2 MiB
    legacy = list(Chunker(seed=5, profile="fastcdc-1MiB").chunks(io.BytesIO(bytes(image))))
    current = list(Chunker(seed=5, profile="fastcdc-512KiB").chunks(io.BytesIO(bytes(image))))
    assert len(current) > 1.5 * len(legacy) and max(map(len, current)) <= 2 << 20


def test_an_unknown_profile_names_itself_and_asks_for_a_newer_bkctl() -> None:
    with pytest.raises(BkctlError, match=r"'fastcdc-64KiB'.*does not know") as caught:
        Chunker(profile="fastcdc-64KiB")
    assert "upgrade bkctl" in (caught.value.hint or "")


def test_a_profile_this_bkctl_does_not_know_stops_backups_but_not_restores(tmp_path: Path) -> None:
    store = MemoryStore()
    repo = Repository.init(store, Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "c")
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.txt").write_text("kept\n")
    point = backup_paths(repo, workload="w", host="h", paths=[source])
    assert repo.roles is not None
    repo.write_owner_config(repo.roles.secrets, {**repo.config, "chunker": "fastcdc-64KiB"})  # a newer bkctl's
    newer = Repository.open(store, Secret("pw"), cache_dir=tmp_path / "c2")
    assert [p.id for p in newer.list_points()] == [point.id]
    restore_point(newer, point.id, tmp_path / "out")
    assert (tmp_path / "out" / source.relative_to(source.anchor) / "a.txt").read_text() == "kept\n"
    with pytest.raises(BkctlError, match="fastcdc-64KiB"):
        backup_paths(newer, workload="w", host="h", paths=[source])
