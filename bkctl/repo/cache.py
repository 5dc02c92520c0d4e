"""The local cache: copies of immutable repository objects and last-backup file metadata.

It lives outside the repository (``$BKCTL_CACHE_DIR``, else ``$XDG_CACHE_HOME/bkctl``,
else ``~/.cache/bkctl``, then ``/<repository id>``) and is always safe to delete: every
entry is a copy of a store object (still sealed) or data rebuilt from the repository.
A cache that cannot be written only costs speed, so its errors are logged, not raised.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

__all__ = ["Cache", "default_cache_root"]

logger = logging.getLogger("bkctl")


def default_cache_root() -> Path:
    if env := os.environ.get("BKCTL_CACHE_DIR"):
        return Path(env)
    if xdg := os.environ.get("XDG_CACHE_HOME"):
        return Path(xdg) / "bkctl"
    return Path.home() / ".cache" / "bkctl"


class Cache:
    """Name -> bytes on local disk; names are store object names (already validated)."""

    def __init__(self, root: Path | None, repository_id: str) -> None:
        self.root = (root if root is not None else default_cache_root()) / repository_id

    def _path(self, name: str) -> Path:
        return self.root.joinpath(*name.split("/"))

    def get(self, name: str) -> bytes | None:
        try:
            return self._path(name).read_bytes()
        except OSError:
            return None

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(f".tmp-{secrets.token_hex(6)}")
            temp.write_bytes(data)
            os.replace(temp, path)
        except OSError as exc:
            logger.warning("cannot write cache entry %s: %s", path, exc)

    def names(self, prefix: str) -> set[str]:
        directory = self._path(prefix.rstrip("/"))
        try:
            return {f"{prefix}{p.name}" for p in directory.iterdir() if not p.name.startswith(".")}
        except OSError:
            return set()

    def delete(self, name: str) -> None:
        try:
            self._path(name).unlink(missing_ok=True)
        except OSError as exc:
            logger.warning("cannot remove cache entry %s: %s", name, exc)

    def prune(self, prefix: str, keep: set[str]) -> None:
        """Drop cached copies of objects that no longer exist in the repository."""
        for name in self.names(prefix) - keep:
            self.delete(name)
