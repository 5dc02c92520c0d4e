"""Files and folders: checked to exist, then handed to the archiver with their patterns."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bkctl.errors import NotFoundError
from bkctl.sources.base import Items, PathItems

__all__ = ["FilesSource"]


@dataclass(frozen=True)
class FilesSource:
    """Paths already made absolute by the manifest loader."""

    paths: tuple[Path, ...]
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    one_file_system: bool = False
    kind: str = "files"

    @contextmanager
    def open(self, workload: str) -> Iterator[Items]:
        """The paths; NotFoundError before anything is saved when one is missing."""
        missing = [str(p) for p in self.paths if not p.exists() and not p.is_symlink()]
        if missing:
            raise NotFoundError(f"workload '{workload}': path does not exist: {', '.join(missing)}")
        yield PathItems(self.paths, self.include, self.exclude, self.one_file_system)
