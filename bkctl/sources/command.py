"""The standard output of a command, streamed into the repository as one item.

A non-zero exit or a timeout fails the backup: the archiver's point is only committed after
the stream ends cleanly, so we read the stream through a wrapper that raises at EOF when
the command failed, before the point document is written.
"""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

from bkctl.errors import BkctlError, ToolMissingError
from bkctl.sources.environment import ChildEnvironment
from bkctl.targets.base import Progress

__all__ = ["CommandSource", "CommandFailedError"]


class CommandFailedError(BkctlError):
    reference = "command-failed"


class _CheckedStream:
    """A read-only stream over a process's stdout that raises at EOF if the process failed."""

    def __init__(self, process: subprocess.Popen[bytes], label: str, timeout: float) -> None:
        self._process = process
        self._label = label
        self._timer = threading.Timer(timeout, self._expire)
        self._expired = False
        self._timer.start()

    def _expire(self) -> None:
        self._expired = True
        self._process.kill()

    def read(self, size: int = -1) -> bytes:
        assert self._process.stdout is not None
        data = self._process.stdout.read(size)
        if not data:
            self._finish()
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _finish(self) -> None:
        code = self._process.wait()
        self._timer.cancel()
        if self._expired:
            raise CommandFailedError(f"{self._label} timed out", hint="raise the workload's timeout")
        if code != 0:
            stderr = self._process.stderr.read().decode(errors="replace").strip() if self._process.stderr else ""
            tail = stderr.splitlines()[-1] if stderr else ""
            raise CommandFailedError(f"{self._label} exited with status {code}" + (f": {tail}" if tail else ""))


@dataclass(frozen=True)
class CommandSource:
    """Runs ``argv`` and stores its standard output.

    The command sees ``environment``'s scrub of bkctl's environment (no passphrase, no
    vault credentials), or exactly ``env`` when a database source built it (its password
    variable included).
    """

    argv: tuple[str, ...]
    timeout_seconds: float
    filename: str
    env: dict[str, str] | None = None
    kind: str = "command"
    environment: ChildEnvironment = field(default_factory=ChildEnvironment)

    def backup(self, repository: Any, *, workload: str, host: str, compression: int | None,
               meta: dict[str, Any], progress: Progress | None, now: datetime | None) -> Any:
        from bkctl.archiver import backup_stream

        label = f"command {self.argv[0]!r} of workload '{workload}'"
        try:
            process = subprocess.Popen(list(self.argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       stdin=subprocess.DEVNULL,
                                       env=self.environment.variables() if self.env is None else self.env)
        except FileNotFoundError:
            raise ToolMissingError(f"{label}: {self.argv[0]} is not installed or not on PATH") from None
        except PermissionError:
            raise ToolMissingError(f"{label}: {self.argv[0]} is not executable") from None
        stream: BinaryIO = _CheckedStream(process, label, self.timeout_seconds)  # type: ignore[assignment]
        try:
            return backup_stream(repository, workload=workload, host=host, name=self.filename, stream=stream,
                                 compression=compression, meta={**meta, "command": list(self.argv)},
                                 progress=progress, now=now)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
