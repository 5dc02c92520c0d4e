"""Fixtures for end-to-end tests: an isolated runner and a small manifest with data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The e2e helpers (cli.py) and the integration server fixtures (objstore.py, servers.py)
# are imported by module name from the test files.
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from cli import Runner, make_runner

MANIFEST = """\
version: 1
encryption:
  passphrase_env: BKCTL_PASSPHRASE
targets:
  local:
    type: disk
    path: repo
policies:
  every-8h:
    schedule: {every: 8h}
    retention: {last: 3}
workloads:
  docs:
    type: files
    paths: [data]
    policy: every-8h
    targets: [local]
"""


@pytest.fixture
def bkctl(tmp_path: Path) -> Runner:
    return make_runner(tmp_path)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A manifest beside a small data folder, as a user's git checkout would hold it."""
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.txt").write_text("alpha\n" * 100)
    (data / "sub" / "b.bin").write_bytes(bytes(range(256)) * 64)
    (tmp_path / "bkctl.yaml").write_text(MANIFEST)
    return tmp_path
