"""A loaded manifest with its target drivers, opened lazily and closed together.

The drivers' modules are imported when the first driver is opened: every command module
imports this one, and the drivers bring the repository engine, archiver, restorer and
source readers, which ``bkctl --help`` and ``validate`` never use.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from bkctl.errors import NotFoundError
from bkctl.manifest import LoadedManifest, find_manifest, load_manifest
from bkctl.model.definition import definition_digest

if TYPE_CHECKING:
    from bkctl.targets.base import BackupJob, Target

__all__ = ["Workspace"]


class Workspace:
    """What every operation needs: the manifest, this run's host, and the drivers."""

    def __init__(self, loaded: LoadedManifest) -> None:
        self.loaded = loaded
        self.manifest = loaded.manifest
        self.host = loaded.manifest.settings.host or socket.gethostname()
        # The moment this run acts at when told (apply --now): points are stamped with it
        # and tape media sets are dated by it. None: the wall clock.
        self.clock: datetime | None = None
        self._drivers: dict[str, Target] = {}

    @classmethod
    def load(cls, path: str | Path | None) -> Workspace:
        return cls(load_manifest(find_manifest(path)))

    def driver(self, name: str) -> Target:
        if name not in self.manifest.targets:
            raise NotFoundError(f"no target named '{name}' in the manifest",
                                hint=f"targets: {', '.join(sorted(self.manifest.targets)) or 'none'}")
        if name not in self._drivers:
            from bkctl.targets.registry import open_target  # the engine loads with the first driver

            self._drivers[name] = open_target(self.loaded, name, clock=self.now)
        return self._drivers[name]

    def now(self) -> datetime:
        return self.clock or datetime.now(UTC)

    def drivers(self, names: list[str] | None = None) -> dict[str, Target]:
        return {name: self.driver(name) for name in (names or sorted(self.manifest.targets))}

    def check_workload(self, name: str) -> None:
        if name not in self.manifest.workloads:
            raise NotFoundError(f"no workload named '{name}' in the manifest",
                                hint=f"workloads: {', '.join(sorted(self.manifest.workloads)) or 'none'}")

    def host_of(self, workload: str) -> str:
        """A workload's identity is host + name; ``host:`` on the workload overrides the machine."""
        return self.manifest.workloads[workload].host or self.host

    def backup_job(self, workload: str) -> BackupJob:
        from bkctl.sources.registry import source_for  # with the drivers: see the module's docstring
        from bkctl.targets.base import BackupJob

        spec = self.manifest.workloads[workload]
        compression = None if spec.compression == "off" else int(spec.compression)
        return BackupJob(workload=workload, host=self.host_of(workload), source=source_for(self.loaded, workload),
                         compression=compression,
                         meta={"type": spec.type, "policy": spec.policy, "definition": definition_digest(spec)},
                         time=self.clock)

    def close(self) -> None:
        for driver in self._drivers.values():
            driver.close()
        self._drivers.clear()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
