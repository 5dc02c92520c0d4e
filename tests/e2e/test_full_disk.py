"""A disk target that fills up: exit 71, no orphan packs, earlier points intact (issue 9, defect 5).

Needs a small file system of its own: a tmpfs mounted for the test (root only; skipped
with the reason elsewhere, and mandatory under BKCTL_REQUIRE_ALL=1).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli import Runner

MANIFEST = """\
version: 1
encryption: {passphrase_env: BKCTL_PASSPHRASE}
targets:
  small: {type: disk, path: small/repo}
policies:
  p: {schedule: {every: 1h}, retention: {last: 2}}
workloads:
  docs: {type: files, paths: [data], policy: p, targets: [small], compression: off}
"""


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        if os.environ.get("BKCTL_REQUIRE_ALL") == "1":
            pytest.fail(f"cannot mount a tmpfs for the full-disk test: {done.stderr.strip()}")
        pytest.skip(f"cannot mount a tmpfs (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def packs(mount: Path) -> list[Path]:
    return [p for p in (mount / "repo" / "data").rglob("*") if p.is_file()]


def test_a_full_disk_fails_with_71_and_leaves_no_orphan_packs(bkctl: Runner, tmp_path: Path, small_disk: Path):
    (tmp_path / "bkctl.yaml").write_text(MANIFEST)
    data = tmp_path / "data"
    data.mkdir()
    (data / "first.bin").write_bytes(os.urandom(4 << 20))
    assert bkctl("backup", "docs").returncode == 0
    before = {p.name for p in packs(small_disk)}
    for number in range(3):
        (data / f"big{number}.bin").write_bytes(os.urandom(12 << 20))
    full = bkctl("backup", "docs")
    assert full.returncode == 71, full.stdout + full.stderr
    assert "no space left" in full.stdout + full.stderr
    assert {p.name for p in packs(small_disk)} == before  # the failed run's packs are gone
    verified = bkctl("verify", "--read-data", "100")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    for number in range(3):
        (data / f"big{number}.bin").unlink()
    (data / "second.bin").write_bytes(os.urandom(2 << 20))
    assert bkctl("backup", "docs").returncode == 0
    restored = bkctl("restore", "docs", "--to", "out")
    assert restored.returncode == 0, restored.stderr
    back = tmp_path / "out" / data.relative_to("/")
    assert (back / "second.bin").read_bytes() == (data / "second.bin").read_bytes()
