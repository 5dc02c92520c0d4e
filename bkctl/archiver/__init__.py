"""Archiver: items a source yields (paths or a stream) -> chunks and trees -> recovery point."""

from bkctl.archiver.backup import backup_paths, backup_stream, save
from bkctl.archiver.progress import Progress
from bkctl.archiver.repository import ArchiverRepository

__all__ = ["ArchiverRepository", "Progress", "backup_paths", "backup_stream", "save"]
