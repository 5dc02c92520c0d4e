"""The one progress protocol: what long work reports, and what every progress display implements.

The archiver, the restorer and every target driver take a ``Progress | None`` (``None``
where nobody watches); the reconciler's reporter hands one out per action. The methods
are required, so callers never probe with ``hasattr``; a display that has no use for one
of them implements it as a no-op (or subclasses ``Progress`` and inherits the no-ops).

``total`` came later than ``advance`` and ``file``: work that cannot know its size (a
database dump, a command's output) simply never calls it, and a display shows what was
done without a bar's end. Calling it again replaces the earlier total.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["Progress"]


class Progress(Protocol):
    def advance(self, nbytes: int) -> None:
        """``nbytes`` more content bytes were processed (read, written, reused or verified)."""

    def file(self, path: str) -> None:
        """Work on ``path`` (relative to the root of the recovery point) started."""

    def total(self, files: int, nbytes: int) -> None:
        """The whole job is ``files`` files (packs, for verify) of ``nbytes`` bytes, as far as known."""
