"""Shared set-up of the tape integration tests: repositories, small libraries, file digests."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bkctl.archiver import backup_paths
from bkctl.repo import KdfParams, Repository
from bkctl.restorer import restore_point
from bkctl.secrets import Secret
from bkctl.store import LocalStore
from bkctl.tape import LibraryDescription, PoolRule, TapeLibrary, VaultPlace

PASSPHRASE = Secret("tape library passphrase")
START = datetime(2024, 1, 1, 2, 0, tzinfo=UTC)
MiB = 1 << 20


def day(n: float) -> datetime:
    return START + timedelta(days=n)


def make_repository(folder: Path) -> Repository:
    return Repository.init(LocalStore(folder), PASSPHRASE, kdf=KdfParams.fast(), cache_dir=folder.parent /
                           f"cache-{folder.name}")


def make_library(folder: Path, *, cartridges: int = 6, capacity: int = 64 * MiB, worm: int = 0,
                 mail_slots: int = 2, vaults: tuple[str, ...] = ()) -> TapeLibrary:
    places = {name: VaultPlace(name, str(folder.parent / f"vault-{name}"), 2 * 86400) for name in vaults}
    description = LibraryDescription(media="test", capacity=capacity, drives=1, slots=cartridges + 2,
                                     mail_slots=mail_slots, cartridges=cartridges, worm_cartridges=worm,
                                     vaults=places)
    return TapeLibrary.ensure(folder, description, PASSPHRASE, KdfParams.fast())


def back_up(repository: Repository, source: Path, workload: str, at: datetime) -> str:
    return backup_paths(repository, workload=workload, host="tape-host", paths=[source], compression=None,
                        now=at).id


def random_files(folder: Path, sizes: dict[str, int], seed_text: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, size in sizes.items():
        (folder / name).write_bytes(os.urandom(size))
    if seed_text:
        (folder / "notes.txt").write_text(seed_text)
    return folder


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every regular file below ``folder``, by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def restored_files(library: TapeLibrary, point_id: str, work: Path, source: Path) -> dict[str, str]:
    """Copy the point from tape into a fresh repository, restore it, and digest what came back."""
    repository = make_repository(work / f"back-{point_id[:8]}-{len(list(work.iterdir()))}")
    library.copy_to_repository(point_id, repository, compression=None)
    target = work / f"restored-{repository.id[:8]}"
    restore_point(repository, point_id, target)
    return digests(target / str(source).lstrip("/"))


def rules(**pools: PoolRule) -> dict[str, PoolRule]:
    return pools or {"default": PoolRule("default")}
