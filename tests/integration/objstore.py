"""Object-storage servers for tests: Azurite (Azure Blob) and moto (S3) on 127.0.0.1.

Each server starts once per test session on a free port and is shared by every module
that imports these fixtures (a module-level cache, stopped at exit), because starting
Azurite costs 1-2 s. Missing servers skip with the install command, unless
BKCTL_REQUIRE_ALL=1 (CI), where they fail.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bkctl.store.objstore import LibcloudStore, driver_factory

__all__ = ["AZURITE_ACCOUNT", "AZURITE_KEY", "AzuriteServer", "MotoServer", "ObjectServer",
           "azurite", "moto_s3", "object_server", "require"]

AZURITE_ACCOUNT = "devstoreaccount1"
# Azurite's published development key (Microsoft docs); not a secret.
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
_LISTENING = re.compile(r"listens on https?://[\d.]+:(\d+)")


def require(reason: str) -> None:
    """Skip, or fail when the environment promises every dependency (CI)."""
    if os.environ.get("BKCTL_REQUIRE_ALL") == "1":
        pytest.fail(f"{reason} (BKCTL_REQUIRE_ALL=1)")
    pytest.skip(reason)


@dataclass
class ObjectServer:
    """What a test needs to reach one server: provider, endpoint and credentials."""

    provider: str
    port: int
    key: str
    secret: str
    region: str | None = None

    def store(self, container: str = "contract", prefix: str | None = None) -> LibcloudStore:
        connect = driver_factory(self.provider, lambda: (self.key, self.secret), host="127.0.0.1", port=self.port,
                                 secure=False, region=self.region)
        return LibcloudStore(connect, container, prefix if prefix is not None else f"t-{uuid.uuid4().hex[:12]}")


class AzuriteServer:
    """``azurite-blob`` as a child process; in memory, or persisted under ``location``."""

    def __init__(self, location: Path | None = None) -> None:
        self.location = location
        self.port = 0
        self._process: subprocess.Popen[str] | None = None
        self._workdir = tempfile.mkdtemp(prefix="bkctl-azurite-")

    def start(self, port: int = 0) -> int:
        binary = shutil.which("azurite-blob")
        if binary is None:
            require("azurite-blob is not installed (npm install -g azurite@3.35.0)")
        command = [str(binary), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--silent",
                   "--disableTelemetry", "--skipApiVersionCheck"]
        # --inMemoryPersistence and --location exclude each other; without a location
        # Azurite still writes its DB into the working directory, hence the temp cwd.
        command += ["--location", str(self.location)] if self.location else ["--inMemoryPersistence"]
        self._process = subprocess.Popen(command, cwd=self._workdir, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True)
        self.port = self._wait_listening(self._process)
        return self.port

    @staticmethod
    def _wait_listening(process: subprocess.Popen[str]) -> int:
        assert process.stdout is not None
        seen: list[str] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            seen.append(line)
            match = _LISTENING.search(line)
            if match:
                # Keep draining output so a chatty server never blocks on a full pipe.
                threading.Thread(target=lambda: [None for _ in process.stdout or []], daemon=True).start()
                return int(match.group(1))
        process.kill()
        raise RuntimeError("azurite did not start: " + "".join(seen)[-2000:])

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs (benchmarks read its CPU time)."""
        return self._process.pid if self._process is not None else None

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def info(self) -> ObjectServer:
        return ObjectServer("azure_blobs", self.port, AZURITE_ACCOUNT, AZURITE_KEY)


class MotoServer:
    """moto's S3 server in a thread of the test process (it accepts any credentials)."""

    def __init__(self) -> None:
        self._server: Any = None
        self.port = 0

    def start(self) -> int:
        try:
            from moto.server import ThreadedMotoServer
        except ImportError:
            require("moto server mode is not installed (pip install 'moto[s3]' flask flask-cors)")
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        self.port = int(self._server.get_host_and_port()[1])
        return self.port

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def info(self) -> ObjectServer:
        return ObjectServer("s3", self.port, "bkctl-test-key", "bkctl-test-secret", region="us-east-1")


_shared: dict[str, ObjectServer] = {}


def _shared_server(kind: str) -> ObjectServer:
    if kind not in _shared:
        server: AzuriteServer | MotoServer = AzuriteServer() if kind == "azurite" else MotoServer()
        server.start()
        atexit.register(server.stop)
        _shared[kind] = server.info()
    return _shared[kind]


@pytest.fixture(scope="session")
def azurite() -> ObjectServer:
    return _shared_server("azurite")


@pytest.fixture(scope="session")
def moto_s3() -> ObjectServer:
    return _shared_server("moto")


@pytest.fixture(params=["azurite", "moto"])
def object_server(request: pytest.FixtureRequest) -> Iterator[ObjectServer]:
    """Each test that takes this runs once against Azurite and once against moto."""
    yield _shared_server(request.param)
