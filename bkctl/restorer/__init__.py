"""Restorer: recovery points -> files below a directory, or a stream."""

from bkctl.restorer.files import RestoreStats, restore_point
from bkctl.restorer.stream import restore_stream

__all__ = ["RestoreStats", "restore_point", "restore_stream"]
