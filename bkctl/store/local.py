"""A BlobStore in a local directory, crash-safe by construction.

Each put writes a temporary file in the destination directory, fsyncs it, renames it
over the final name and fsyncs the directory, so after a crash an object is either
complete or absent. Temporary files start with ``.tmp-`` and are never listed.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from bkctl.errors import BkctlError, NotFoundError, StorageFullError
from bkctl.store.base import validate_name, validate_prefix

__all__ = ["LocalStore"]

_TEMP_PREFIX = ".tmp-"


class LocalStore:
    """Objects are files below ``root``; '/' in names becomes directories."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()

    def _path(self, name: str) -> Path:
        validate_name(name)
        path = self.root.joinpath(*name.split("/"))
        if segment_is_temp(path.name):
            raise NotFoundError(f"object {name} does not exist")
        return path

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.parent / f"{_TEMP_PREFIX}{secrets.token_hex(8)}"
            try:
                _write_synced(temp, data)
                os.replace(temp, path)
            except BaseException:
                temp.unlink(missing_ok=True)
                raise
            _fsync_directory(path.parent)
        except OSError as exc:
            raise _translate(exc, name) from exc

    def get(self, name: str) -> bytes:
        path = self._path(name)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"object {name} does not exist", context=str(self.root)) from None
        except OSError as exc:
            raise _translate(exc, name) from exc

    def get_range(self, name: str, offset: int, length: int) -> bytes:
        path = self._path(name)
        try:
            with open(path, "rb") as handle:
                handle.seek(offset)
                return handle.read(length)
        except FileNotFoundError:
            raise NotFoundError(f"object {name} does not exist", context=str(self.root)) from None
        except OSError as exc:
            raise _translate(exc, name) from exc

    def list(self, prefix: str = "") -> Iterator[str]:
        validate_prefix(prefix)
        names: list[str] = []
        for directory, subdirs, files in os.walk(self.root):
            subdirs.sort()
            relative = Path(directory).relative_to(self.root).as_posix()
            base = "" if relative == "." else relative + "/"
            if base and not (base.startswith(prefix) or prefix.startswith(base)):
                subdirs.clear()
                continue
            for file in sorted(files):
                name = base + file
                if not segment_is_temp(file) and name.startswith(prefix):
                    names.append(name)
        return iter(sorted(names))

    def delete(self, name: str) -> None:
        path = self._path(name)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise _translate(exc, name) from exc

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()


def segment_is_temp(segment: str) -> bool:
    return segment.startswith(_TEMP_PREFIX)


def _write_synced(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _translate(exc: OSError, name: str) -> BkctlError:
    """Turn OS errors into bkctl errors at the adapter edge."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFullError(
            f"no space left while writing {name}",
            hint="free space on the target or run reclaim; nothing already stored was changed",
        )
    return BkctlError(f"storage error on {exc.filename or name}: {exc.strerror or exc}")
