"""``bkctl mount``: a workload's points as a read-only FUSE file system (issue 10).

Needs /dev/fuse, libfuse and the right to mount (root, or fusermount): skipped with the
reason where FUSE is not usable, and mandatory under BKCTL_REQUIRE_ALL=1 (CI runs as root
on a machine with /dev/fuse).
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli import Runner

from bkctl.cli.mount import fuse_problem


def require_fuse() -> None:
    problem = fuse_problem() or ("" if shutil.which("fusermount3") or shutil.which("fusermount")
                                 else "fusermount is not installed")
    if not problem:
        return
    if os.environ.get("BKCTL_REQUIRE_ALL") == "1":
        pytest.fail(f"FUSE is not usable: {problem} (BKCTL_REQUIRE_ALL=1 forbids skipping)")
    pytest.skip(f"FUSE is not usable: {problem}")


def unmount(mountpoint: Path) -> None:
    tool = shutil.which("fusermount3") or shutil.which("fusermount") or "umount"
    subprocess.run([tool, "-u", str(mountpoint)] if "fusermount" in tool else [tool, str(mountpoint)],
                   capture_output=True, check=False)


@pytest.fixture
def mounted(bkctl: Runner, project: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    require_fuse()
    (project / "data" / "big.bin").write_bytes(os.urandom(3 << 20))
    (project / "data" / "link").symlink_to("a.txt")
    assert bkctl("backup", "docs").returncode == 0
    (project / "data" / "a.txt").write_text("second version\n")
    assert bkctl("backup", "docs").returncode == 0
    mountpoint = project / "mnt"
    mountpoint.mkdir()
    process = subprocess.Popen([sys.executable, "-m", "bkctl", "mount", "docs", str(mountpoint)], cwd=project,
                               env=bkctl.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not os.path.ismount(mountpoint):
            if process.poll() is not None or time.monotonic() > deadline:
                out, err = process.communicate(timeout=10) if process.poll() is not None else ("", "timed out")
                pytest.fail(f"bkctl mount did not mount (exit {process.returncode}): {err}")
            time.sleep(0.2)
        yield mountpoint, process
    finally:
        if os.path.ismount(mountpoint):
            unmount(mountpoint)
        if process.poll() is None:
            process.wait(timeout=30)


def test_points_appear_as_folders_with_their_files_bytes(project: Path,
                                                         mounted: tuple[Path, subprocess.Popen[str]]) -> None:
    mountpoint, process = mounted
    inside = str(project / "data").lstrip("/")
    ids = sorted(os.listdir(mountpoint / "ids"))
    times = sorted(os.listdir(mountpoint / "points"))
    assert sorted(os.listdir(mountpoint)) == ["ids", "latest", "points"] and len(ids) == len(times) == 2
    latest = mountpoint / "latest" / inside
    assert os.readlink(mountpoint / "latest") == f"points/{times[-1]}"
    assert (latest / "a.txt").read_text() == "second version\n"
    assert (latest / "big.bin").read_bytes() == (project / "data" / "big.bin").read_bytes()
    assert os.readlink(latest / "link") == "a.txt" and (latest / "link").read_text() == "second version\n"
    assert sorted(os.listdir(latest)) == ["a.txt", "big.bin", "link", "sub"]
    assert ((latest / "sub" / "b.bin").stat().st_mode & 0o777) == ((project / "data/sub/b.bin").stat().st_mode & 0o777)
    older = [mountpoint / "ids" / name / inside / "a.txt" for name in ids]
    assert sorted(path.read_text() for path in older) == ["alpha\n" * 100, "second version\n"]
    with pytest.raises(OSError) as refused:
        (latest / "a.txt").write_text("changed")
    assert refused.value.errno == errno.EROFS
    assert not (latest / "absent").exists()
    unmount(mountpoint)
    assert process.wait(timeout=30) == 0
    said = process.stderr.read() if process.stderr else ""
    assert "Mounted 2 recovery points of docs" in said and "Unmounted" in said and "Traceback" not in said


def test_mount_names_a_missing_mount_point(bkctl: Runner, project: Path) -> None:
    require_fuse()
    assert bkctl("backup", "docs").returncode == 0
    missing = bkctl("mount", "docs", "nowhere")
    assert missing.returncode == 66 and "nowhere" in missing.stderr
