"""Crash-safe small files: every state file of the library is replaced, never edited.

A change writes a temporary file in the same directory, fsyncs it, renames it over the
old name and fsyncs the directory, so after a crash (or SIGKILL) the file holds either
the old or the new content, never a mixture. The same recipe as ``bkctl.store.local``.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

__all__ = ["canonical_json", "read_json", "replace_file", "write_json"]


def replace_file(path: Path, data: bytes) -> None:
    """Atomically give ``path`` the content ``data`` (parents are created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / f".tmp-{secrets.token_hex(8)}"
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    sync_directory(path.parent)


def sync_directory(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` survive a power loss."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def canonical_json(document: Any) -> bytes:
    """Sorted keys, no spaces: equal documents are equal bytes (catalog comparisons rely on it)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def write_json(path: Path, document: Any) -> None:
    replace_file(path, json.dumps(document, indent=1, sort_keys=True).encode() + b"\n")


def read_json(path: Path) -> Any:
    return json.loads(path.read_bytes())
