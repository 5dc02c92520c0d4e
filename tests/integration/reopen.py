"""Opening a repository again, as another process would."""

from __future__ import annotations

from pathlib import Path

from bkctl.repo import Repository
from bkctl.secrets import Secret


def fresh(repo: Repository, tmp_path: Path) -> Repository:
    """The repository as a new process sees it: no tree cache, no index in memory."""
    return Repository.open(repo.store, Secret("pw"), cache_dir=tmp_path / "c")
