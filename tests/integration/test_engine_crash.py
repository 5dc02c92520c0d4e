"""Crash safety: a backup killed with SIGKILL at any moment leaves a sound repository."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bkctl.archiver import backup_paths
from bkctl.repo import KdfParams, Repository
from bkctl.repo.reclaim import reclaim
from bkctl.repo.verify import verify
from bkctl.restorer import restore_point
from bkctl.secrets import Secret
from bkctl.store import LocalStore

CHILD = """
import sys
from pathlib import Path
from bkctl.archiver import backup_paths
from bkctl.repo import Repository
from bkctl.secrets import Secret
from bkctl.store import LocalStore
repo = Repository.open(LocalStore(Path(sys.argv[1])), Secret("pw"), cache_dir=Path(sys.argv[2]))
print("ready", flush=True)
backup_paths(repo, workload="w", host="h", paths=[Path(sys.argv[3])])
print("done", flush=True)
"""


@pytest.mark.slow
def test_backup_killed_at_several_moments_leaves_a_sound_repository(tmp_path: Path):
    store = LocalStore(tmp_path / "repo")
    cache = tmp_path / "cache"
    repo = Repository.init(store, Secret("pw"), kdf=KdfParams.fast(), cache_dir=cache)
    src = tmp_path / "src"
    src.mkdir()
    (src / "first.txt").write_text("the first point")
    first = backup_paths(repo, workload="w", host="h", paths=[src])
    env = {**os.environ, "BKCTL_TEST_FAST_KDF": "1"}
    interrupted = 0
    for round_number, delay in enumerate((0.0, 0.02, 0.04, 0.07, 0.1, 0.14)):
        for number in range(6):  # fresh data each round so every child has work to do
            (src / f"big{round_number}-{number}.bin").write_bytes(os.urandom(4 << 20))
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(store.root), str(cache), str(src)],
            stdout=subprocess.PIPE, env=env, text=True)
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        reopened = Repository.open(store, Secret("pw"), cache_dir=cache)
        interrupted += len(reopened.list_points()) == 1
        report = verify(reopened, read_data_percent=100)
        assert report.ok, (delay, report.problems)
        out = tmp_path / f"out-{delay}"
        restore_point(reopened, first.id, out)
        assert (out / src.relative_to("/") / "first.txt").read_text() == "the first point"
    assert interrupted >= 3, "the kills should land before the point is committed"
    final = Repository.open(store, Secret("pw"), cache_dir=cache)
    point = backup_paths(final, workload="w", host="h", paths=[src])
    restore_point(final, point.id, tmp_path / "final")
    back = tmp_path / "final" / src.relative_to("/")
    assert (back / "big5-5.bin").read_bytes() == (src / "big5-5.bin").read_bytes()
    assert verify(final, read_data_percent=100).ok
    reclaim(final)
    assert verify(final, read_data_percent=100).ok
