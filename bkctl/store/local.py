"""A BlobStore in a local directory, crash-safe by construction.

Each put writes a temporary file in the destination directory, fsyncs it, renames it
over the final name and fsyncs the directory, so after a crash an object is either
complete or absent. Temporary files start with ``.tmp-`` and are never listed.
"""

from __future__ import annotations

import errno
import io
import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from bkctl.errors import BkctlError, NotFoundError, StorageFullError
from bkctl.store.base import validate_name, validate_prefix

__all__ = ["LocalStore"]

_TEMP_PREFIX = ".tmp-"
_OPEN_PER_THREAD = 4  # read handles each thread keeps open (restore reads packs in order)


class LocalStore:
    """Objects are files below ``root``; '/' in names becomes directories."""

    parallel_puts = 1  # a write to the local disk: a second writer only adds seeks

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()
        # get_range keeps a few read handles per thread (pread is position-free), so a
        # restore does not open the pack again for every blob. Any put or delete bumps
        # the generation, which drops those handles: a replaced object is never read
        # through the old inode.
        self._readers = threading.local()
        self._generation = 0

    def _path(self, name: str) -> Path:
        validate_name(name)
        path = self.root.joinpath(*name.split("/"))
        if segment_is_temp(path.name):
            raise NotFoundError(f"object {name} does not exist")
        return path

    def put(self, name: str, data: bytes) -> None:
        self._put(name, lambda fd: _write_all(fd, data))

    def put_file(self, name: str, file: IO[bytes]) -> None:
        self._put(name, lambda fd: _copy_file(file, fd))

    def _put(self, name: str, write: Callable[[int], None]) -> None:
        """Write a temporary file, fsync it, rename it into place, fsync the folder."""
        path = self._path(name)
        self._generation += 1
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.parent / f"{_TEMP_PREFIX}{secrets.token_hex(8)}"
            try:
                _write_synced(temp, write)
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
            handle = self._reader(name, path)
            data = os.pread(handle.fileno(), length, offset)
            while len(data) < length:  # short reads are legal; stop at end of file
                more = os.pread(handle.fileno(), length - len(data), offset + len(data))
                if not more:
                    break
                data += more
            return data
        except FileNotFoundError:
            raise NotFoundError(f"object {name} does not exist", context=str(self.root)) from None
        except OSError as exc:
            raise _translate(exc, name) from exc

    def _reader(self, name: str, path: Path) -> io.FileIO:
        local = self._readers
        handles: OrderedDict[str, io.FileIO] | None = getattr(local, "handles", None)
        if handles is None or local.generation != self._generation:
            if handles is not None:
                for handle in handles.values():
                    handle.close()
            handles = local.handles = OrderedDict()
            local.generation = self._generation
        cached = handles.get(name)
        if cached is not None:
            handles.move_to_end(name)
            return cached
        handle = io.FileIO(path, "r")
        handles[name] = handle
        if len(handles) > _OPEN_PER_THREAD:
            handles.popitem(last=False)[1].close()
        return handle

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
        self._generation += 1
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise _translate(exc, name) from exc

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def size(self, name: str) -> int:
        path = self._path(name)
        try:
            return path.stat().st_size
        except FileNotFoundError:
            raise NotFoundError(f"object {name} does not exist", context=str(self.root)) from None
        except OSError as exc:
            raise _translate(exc, name) from exc


def segment_is_temp(segment: str) -> bool:
    return segment.startswith(_TEMP_PREFIX)


def _write_synced(path: Path, write: Callable[[int], None]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        write(fd)
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _copy_file(file: IO[bytes], fd: int) -> None:
    """The whole of ``file`` into ``fd``, in the kernel where it can (sendfile), else in 1 MiB steps."""
    file.flush()
    size = os.fstat(file.fileno()).st_size
    offset = 0
    try:
        while offset < size:
            sent = os.sendfile(fd, file.fileno(), offset, size - offset)
            if sent == 0:
                break
            offset += sent
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOSYS) or offset:
            raise
        file.seek(0)
        while block := file.read(1 << 20):
            _write_all(fd, block)


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
            hint="free space on the target (`bkctl reclaim --now` deletes unreferenced data at once); "
            "nothing already stored was changed",
        )
    return BkctlError(f"storage error on {exc.filename or name}: {exc.strerror or exc}")
