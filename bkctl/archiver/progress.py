"""What the archiver and restorer report while they work (any object with these methods)."""

from __future__ import annotations

from typing import Protocol

__all__ = ["Progress"]


class Progress(Protocol):
    def advance(self, nbytes: int) -> None:
        """``nbytes`` more content bytes were processed (read, or reused from the parent)."""

    def file(self, path: str) -> None:
        """Work on ``path`` (relative to the root of the recovery point) started."""
