"""Shared fixtures: cheap key derivation for tests, paths of the repository's files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"

# Argon2id at production cost takes ~0.5 s per key; tests lower it (the format records it).
os.environ.setdefault("BKCTL_TEST_FAST_KDF", "1")


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch):
    """``unreadable(*suffixes)``: the backup's opens of paths ending so fail with EACCES,
    as a file the backup may not read does (``monkeypatch.undo()`` makes them readable)."""
    import bkctl.archiver.file_saver as file_saver

    real_open = file_saver.open_file

    def refuse(*suffixes: str) -> None:
        def opener(path: str) -> int:
            if path.endswith(suffixes):
                raise PermissionError(13, "Permission denied")
            return real_open(path)

        monkeypatch.setattr(file_saver, "open_file", opener)

    return refuse


@pytest.fixture
def write_manifest(tmp_path: Path):
    """Write YAML text into a file under tmp_path and return its path."""

    def write(text: str, name: str = "bkctl.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    return write
