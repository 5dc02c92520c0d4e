"""The narrow seam between the repository engine and where bytes live.

The engine needs seven operations and nothing else, so a local directory, memory and an
object store can all back one repository format. Names are validated in one place so
that no store can be talked into touching something outside its root.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Protocol, runtime_checkable

from bkctl.errors import BkctlError

__all__ = ["BlobStore", "InvalidNameError", "validate_name"]


class InvalidNameError(BkctlError):
    """An object name that could escape the store root or is not portable."""

    reference = "store-invalid-name"


@runtime_checkable
class BlobStore(Protocol):
    """Flat, '/'-separated object namespace.

    ``put`` is atomic (readers see the old object or the new one, never a mix) and may
    overwrite; ``get`` raises :class:`~bkctl.errors.NotFoundError` for a missing name;
    ``delete`` of a missing name is not an error, so retries are idempotent.
    """

    @property
    def parallel_puts(self) -> int:
        """Packs a backup uploads at once: 1 where a put is a local write, more where each put
        waits on a network round trip that another can overlap."""
        ...

    def put(self, name: str, data: bytes) -> None: ...

    def put_file(self, name: str, file: IO[bytes]) -> None:
        """``put`` of the bytes of ``file`` from offset 0, without holding them in memory."""
        ...

    def get(self, name: str) -> bytes: ...

    def get_range(self, name: str, offset: int, length: int) -> bytes: ...

    def list(self, prefix: str = "") -> Iterator[str]: ...

    def delete(self, name: str) -> None: ...

    def exists(self, name: str) -> bool: ...

    def size(self, name: str) -> int:
        """Length of an object in bytes (NotFoundError when missing): how pack headers are found."""
        ...


def validate_name(name: str) -> str:
    """Return ``name`` if it is a safe relative object name, else raise.

    Refused: empty names or segments, absolute names, ``.``/``..`` segments, backslashes
    and NUL bytes. Every store calls this before touching anything.
    """
    if not isinstance(name, str) or not name:
        raise InvalidNameError("object name is empty")
    if "\\" in name or "\x00" in name:
        raise InvalidNameError(f"object name {name!r} contains a backslash or NUL byte")
    if name.startswith("/"):
        raise InvalidNameError(f"object name {name!r} is absolute")
    for segment in name.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidNameError(f"object name {name!r} has an empty, '.' or '..' segment")
    return name


def validate_prefix(prefix: str) -> str:
    """A list prefix may be empty or end with '/'; the part before must be a valid name."""
    stripped = prefix.rstrip("/")
    if stripped:
        validate_name(stripped)
    return prefix
