"""Restorer: recovery points -> files below a directory, or a stream."""

from bkctl.restorer.files import restore_point
from bkctl.restorer.outcome import Damage, PathTooLongError, RestoreDamagedError, RestoreStats
from bkctl.restorer.stream import StreamDamagedError, restore_stream

__all__ = ["Damage", "PathTooLongError", "RestoreDamagedError", "RestoreStats", "StreamDamagedError",
           "restore_point", "restore_stream"]
