"""The one progress protocol: what long work reports, and what every progress display implements.

The archiver, the restorer and every target driver take a ``Progress | None`` (``None``
where nobody watches); the reconciler's reporter hands one out per action. Both methods
are required, so callers never probe with ``hasattr``; a display that has no use for one
of them implements it as a no-op.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["Progress"]


class Progress(Protocol):
    def advance(self, nbytes: int) -> None:
        """``nbytes`` more content bytes were processed (read, written, reused or verified)."""

    def file(self, path: str) -> None:
        """Work on ``path`` (relative to the root of the recovery point) started."""
