"""An in-memory BlobStore: a real store for tests and for staging, not a mock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import IO

from bkctl.errors import NotFoundError
from bkctl.store.base import validate_name, validate_prefix

__all__ = ["MemoryStore"]


class MemoryStore:
    """Thread-safe dict of name -> bytes with the same contract as every other store."""

    parallel_puts = 1

    def __init__(self) -> None:
        self._objects: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, name: str, data: bytes) -> None:
        validate_name(name)
        with self._lock:
            self._objects[name] = bytes(data)

    def put_file(self, name: str, file: IO[bytes]) -> None:
        file.seek(0)
        self.put(name, file.read())

    def get(self, name: str) -> bytes:
        validate_name(name)
        with self._lock:
            try:
                return self._objects[name]
            except KeyError:
                raise NotFoundError(f"object {name} does not exist") from None

    def get_range(self, name: str, offset: int, length: int) -> bytes:
        data = self.get(name)
        return data[offset : offset + length]

    def list(self, prefix: str = "") -> Iterator[str]:
        validate_prefix(prefix)
        with self._lock:
            names = sorted(n for n in self._objects if n.startswith(prefix))
        return iter(names)

    def delete(self, name: str) -> None:
        validate_name(name)
        with self._lock:
            self._objects.pop(name, None)

    def exists(self, name: str) -> bool:
        validate_name(name)
        with self._lock:
            return name in self._objects

    def size(self, name: str) -> int:
        return len(self.get(name))
