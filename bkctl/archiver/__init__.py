"""Archiver: workload items (paths or a stream) -> chunks and trees -> recovery point."""

from bkctl.archiver.backup import backup_paths, backup_stream
from bkctl.archiver.progress import Progress

__all__ = ["Progress", "backup_paths", "backup_stream"]
