"""Manifest workloads -> sources: the one place that knows which reader serves which type."""

from __future__ import annotations

from bkctl.errors import BkctlError
from bkctl.manifest import LoadedManifest
from bkctl.model import (
    CommandWorkload,
    FilesWorkload,
    ImageWorkload,
    MariadbWorkload,
    PostgresWorkload,
    SqliteWorkload,
)
from bkctl.sources.base import Source
from bkctl.sources.command import CommandSource
from bkctl.sources.environment import child_environment
from bkctl.sources.files import FilesSource
from bkctl.sources.image import ImageSource
from bkctl.sources.mariadb import MariadbSource
from bkctl.sources.mariadb import connection_of as mariadb_connection
from bkctl.sources.postgres import PostgresSource
from bkctl.sources.postgres import connection_of as postgres_connection
from bkctl.sources.sqlite import SqliteSource

__all__ = ["source_for", "UnsupportedWorkloadError"]


class UnsupportedWorkloadError(BkctlError):
    reference = "workload-unsupported"


def source_for(loaded: LoadedManifest, workload: str) -> Source:
    """The reader of one workload's data."""
    spec = loaded.manifest.workloads[workload]
    environment = child_environment(loaded.manifest, workload)  # what its child processes may see
    if isinstance(spec, FilesWorkload):
        paths = tuple(loaded.resolve_path("workloads", workload, p) for p in spec.paths)
        return FilesSource(paths, tuple(spec.include), tuple(spec.exclude), spec.one_file_system)
    if isinstance(spec, CommandWorkload):
        return CommandSource(tuple(spec.command), spec.timeout.fixed().total_seconds(), spec.filename,
                             environment=environment)
    if isinstance(spec, SqliteWorkload):
        return SqliteSource(loaded.resolve_path("workloads", workload, spec.path))
    if isinstance(spec, ImageWorkload):
        return ImageSource(loaded.resolve_path("workloads", workload, spec.path))
    if isinstance(spec, PostgresWorkload):
        return PostgresSource(postgres_connection(spec), spec.globals, environment=environment)
    if isinstance(spec, MariadbWorkload):
        return MariadbSource(mariadb_connection(spec), environment=environment)
    raise UnsupportedWorkloadError(
        f"workload '{workload}' is of type '{spec.type}', which this version of bkctl cannot back up yet"
    )
