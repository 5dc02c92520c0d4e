"""A throwaway repository beside the library: where tape points pass on their way in or out.

Tape holds self-contained points, never a chunk store, so both ways go through an
ordinary repository: a direct backup is saved into a staging repository and written to
tape from it; a restore copies the point from tape into one and runs the existing
restorer. The staging repository is created inside the library directory (same file
system, so it has the room the library has), keyed by a random 256-bit passphrase that
is never stored (a cheap KDF is then safe: nothing is left to guess), and deleted when
the work is done, also after an error. A staging folder left by a killed process (its
name starts with the process id) is deleted by the next writer (``sweep``).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bkctl.repo import KdfParams, Repository
from bkctl.repo.chunker import Chunker
from bkctl.secrets import Secret
from bkctl.store.local import LocalStore

__all__ = ["staging_repository", "sweep"]

FOLDER = "staging"


@contextmanager
def staging_repository(library: Path, chunker_seed: int | None = None) -> Iterator[Repository]:
    """A fresh repository; ``chunker_seed`` replaces its random one (see below).

    Every direct backup goes through a new staging repository, and each repository cuts
    chunks where its own secret seed says: two backups of one unchanged file would share no
    chunk, and an incremental point on tape would hold everything again. A backup's staging
    repository therefore chunks with the library key's seed, which is as secret as a
    repository's own (it is stored only wrapped by the passphrase).
    """
    folder = library / FOLDER / f"{os.getpid()}-{secrets.token_hex(8)}"
    folder.mkdir(parents=True)
    repository = Repository.init(LocalStore(folder / "repository"), Secret(secrets.token_hex(32)),
                                 kdf=KdfParams.fast(), cache_dir=folder / "cache")
    if chunker_seed is not None:
        repository.chunker = Chunker(chunker_seed)
    try:
        yield repository
    finally:
        repository.close()
        shutil.rmtree(folder, ignore_errors=True)


def sweep(library: Path) -> int:
    """Delete staging folders whose process is gone; returns how many."""
    folder = library / FOLDER
    swept = 0
    for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
        pid = entry.name.partition("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)
            swept += 1
    return swept


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
