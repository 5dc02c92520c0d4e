"""Files and folders: handed to the archiver with their include/exclude patterns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bkctl.errors import NotFoundError
from bkctl.targets.base import Progress

__all__ = ["FilesSource"]


@dataclass(frozen=True)
class FilesSource:
    """Paths already made absolute by the manifest loader."""

    paths: tuple[Path, ...]
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    one_file_system: bool = False
    kind: str = "files"

    def backup(self, repository: Any, *, workload: str, host: str, compression: int | None,
               meta: dict[str, Any], progress: Progress | None, now: datetime | None) -> Any:
        from bkctl.archiver import backup_paths

        missing = [str(p) for p in self.paths if not p.exists() and not p.is_symlink()]
        if missing:
            raise NotFoundError(f"workload '{workload}': path does not exist: {', '.join(missing)}")
        return backup_paths(repository, workload=workload, host=host, paths=list(self.paths),
                            include=list(self.include), exclude=list(self.exclude),
                            one_file_system=self.one_file_system, compression=compression,
                            meta=meta, progress=progress, now=now)
