"""Retrying BlobStore decorator: transient storage failures are retried with backoff.

A decorator rather than a flag on each store (as restic wraps its backends), so the
object-store adapter stays a plain translation layer and tests can drive the retry policy
with a fake clock. Only :class:`~bkctl.errors.TransientStorageError` is retried; missing
objects and rejected credentials pass straight through because retrying cannot help.
Every BlobStore operation is idempotent (put overwrites, delete tolerates a missing
name), so repeating one after an unknown outcome is safe.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, TypeVar

from bkctl.errors import TargetUnreachableError, TransientStorageError
from bkctl.store.base import BlobStore

__all__ = ["RetryPolicy", "RetryingStore"]

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff. The default waits 0.5+1+2+4 = 7.5 s over 5 tries: long
    enough to ride out a server restart or a throttling burst, short enough that a dead
    endpoint fails a run in seconds instead of hanging it."""

    attempts: int = 5
    first_delay_seconds: float = 0.5
    max_delay_seconds: float = 4.0

    @classmethod
    def default(cls) -> RetryPolicy:
        """The policy above; ``BKCTL_TEST_FAST_RETRY=1`` makes it two tries 10 ms apart, so
        tests aimed at a closed port do not wait 7.5 s per operation (as BKCTL_TEST_FAST_KDF
        lowers the key derivation cost)."""
        if os.environ.get("BKCTL_TEST_FAST_RETRY") == "1":
            return cls(attempts=2, first_delay_seconds=0.01, max_delay_seconds=0.01)
        return cls()

    def delays(self) -> Iterator[float]:
        delay = self.first_delay_seconds
        for _ in range(self.attempts - 1):
            yield min(delay, self.max_delay_seconds)
            delay *= 2


class RetryingStore:
    """Wraps any BlobStore; after the last try raises a plain TargetUnreachableError."""

    def __init__(self, inner: BlobStore, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.inner = inner
        self.policy = policy or RetryPolicy.default()
        self._sleep = sleep

    @property
    def parallel_puts(self) -> int:
        return self.inner.parallel_puts

    def _call(self, operation: Callable[[], T]) -> T:
        delays = self.policy.delays()
        while True:
            try:
                return operation()
            except TransientStorageError as error:
                delay = next(delays, None)
                if delay is None:
                    raise TargetUnreachableError(
                        f"{error.message} (gave up after {self.policy.attempts} tries)",
                        context=error.context,
                        hint="check that the storage endpoint is up and reachable, then run the command again",
                    ) from error
                self._sleep(delay)

    def put(self, name: str, data: bytes) -> None:
        self._call(lambda: self.inner.put(name, data))

    def put_file(self, name: str, file: IO[bytes]) -> None:
        self._call(lambda: self.inner.put_file(name, file))  # each store reads from offset 0

    def get(self, name: str) -> bytes:
        return self._call(lambda: self.inner.get(name))

    def get_range(self, name: str, offset: int, length: int) -> bytes:
        return self._call(lambda: self.inner.get_range(name, offset, length))

    def list(self, prefix: str = "") -> Iterator[str]:
        # Materialised inside the retry so a failure on a later page is retried too.
        return iter(self._call(lambda: list(self.inner.list(prefix))))

    def delete(self, name: str) -> None:
        self._call(lambda: self.inner.delete(name))

    def exists(self, name: str) -> bool:
        return self._call(lambda: self.inner.exists(name))

    def size(self, name: str) -> int:
        return self._call(lambda: self.inner.size(name))

    def ensure_container(self) -> None:
        """Forwarded when the inner store has a container to create (object stores do)."""
        ensure = getattr(self.inner, "ensure_container", None)
        if ensure is not None:
            self._call(ensure)
