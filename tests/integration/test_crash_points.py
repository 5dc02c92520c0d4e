"""Killed at every named crash point, the engine leaves a repository that verifies clean,
keeps every committed point restorable, and lets the next run finish the job.

Each case runs the operation in a child process with ``BKCTL_CRASH_AT`` set, so the kill
lands exactly where the crash-safety argument of docs/repository-format.md needs it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bkctl.archiver import backup_paths
from bkctl.repo import KdfParams, Repository
from bkctl.repo.crashpoints import CRASH_POINTS
from bkctl.repo.reclaim import reclaim
from bkctl.repo.verify import verify
from bkctl.restorer import restore_point
from bkctl.secrets import Secret
from bkctl.store import LocalStore

CHILD = """
import sys
from datetime import timedelta
from pathlib import Path
from bkctl.archiver import backup_paths
from bkctl.repo import Repository
from bkctl.repo.reclaim import reclaim
from bkctl.repo.repair import repair_index
from bkctl.secrets import Secret
from bkctl.store import LocalStore
repo = Repository.open(LocalStore(Path(sys.argv[1])), Secret("pw"), cache_dir=Path(sys.argv[2]))
operation = sys.argv[3]
if operation == "backup":
    backup_paths(repo, workload="w", host="h", paths=[Path(sys.argv[4])])
elif operation == "reclaim":
    reclaim(repo, grace=timedelta(0))
elif operation == "repair":
    repair_index(repo)
elif operation == "rotate":
    from bkctl.repo.rotation import reencrypt, rotate_keys, rotation_pending
    if rotation_pending(repo) is None:
        rotate_keys(repo)
    reencrypt(repo)
"""

OPERATION = {
    "after-pack-upload": "backup", "after-index-write": "backup", "before-point-commit": "backup",
    "after-point-commit": "backup", "reclaim-after-repack": "reclaim", "reclaim-after-mark": "reclaim",
    "reclaim-after-index": "reclaim", "reclaim-mid-delete": "reclaim", "repair-after-index": "repair",
    "rotate-after-grants": "rotate", "reencrypt-after-pack": "rotate", "reencrypt-after-packs": "rotate",
}


ELSEWHERE = {"upgrade-before-config": "test_format_upgrade.py (needs a format 2 repository)"}


def test_every_crash_point_has_a_case():
    assert set(OPERATION) | set(ELSEWHERE) == set(CRASH_POINTS)


def run_child(store: LocalStore, cache: Path, operation: str, source: Path, crash: str | None) -> int:
    env = {**os.environ, "BKCTL_TEST_FAST_KDF": "1"}
    env.pop("BKCTL_CRASH_AT", None)
    if crash:
        env["BKCTL_CRASH_AT"] = crash
    child = subprocess.run([sys.executable, "-c", CHILD, str(store.root), str(cache), operation, str(source)],
                           env=env, capture_output=True, text=True, timeout=120)
    assert child.returncode in (0, -signal.SIGKILL), child.stderr
    return child.returncode


def prepared(tmp_path: Path) -> tuple[LocalStore, Path, Path, list[str]]:
    """A repository where the next reclaim has every kind of work: a ripe mark to delete,
    a mostly unused pack to repack and an unused one to mark."""
    store = LocalStore(tmp_path / "repo")
    repo = Repository.init(store, Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "cache")
    source = tmp_path / "src"
    source.mkdir()
    (source / "keep.bin").write_bytes(os.urandom(300_000))
    (source / "drop.bin").write_bytes(os.urandom(400_000))
    first = backup_paths(repo, workload="w", host="h", paths=[source])
    (source / "drop.bin").write_bytes(os.urandom(350_000))
    kept = backup_paths(repo, workload="w", host="h", paths=[source])
    repo.delete_points([first.id])
    reclaim(repo, grace=timedelta(0))  # marks the first run's data: the next reclaim deletes it
    (source / "extra.bin").write_bytes(os.urandom(400_000))
    (source / "keep2.bin").write_bytes(os.urandom(60_000))
    third = backup_paths(repo, workload="w", host="h", paths=[source])
    (source / "extra.bin").unlink()
    newest = backup_paths(repo, workload="w", host="h", paths=[source])
    repo.delete_points([third.id])  # its pack is now mostly unused: the next reclaim repacks it
    (source / "new.bin").write_bytes(os.urandom(250_000))
    return store, tmp_path / "cache", source, [kept.id, newest.id]


@pytest.mark.parametrize("crash", sorted(OPERATION))
def test_a_kill_at_each_crash_point_leaves_a_sound_repository(tmp_path: Path, crash: str):
    store, cache, source, committed = prepared(tmp_path)
    operation = OPERATION[crash]
    assert run_child(store, cache, operation, source, crash) == -signal.SIGKILL, "the crash point was not reached"
    cold = Repository.open(store, Secret("pw"), cache_dir=tmp_path / "cold-cache")
    report = verify(cold, read_data_percent=100)
    assert report.ok, (crash, report.problems)
    assert set(committed) <= {p.id for p in cold.list_points()}
    for point_id in committed:
        restore_point(cold, point_id, tmp_path / f"out-{point_id[:8]}")
    assert run_child(store, cache, operation, source, None) == 0  # the next run finishes the job
    for _ in range(2):
        assert run_child(store, cache, "reclaim", source, None) == 0
    final = Repository.open(store, Secret("pw"), cache_dir=tmp_path / "final-cache")
    assert verify(final, read_data_percent=100).ok
    newest = final.list_points()[-1]
    restore_point(final, newest.id, tmp_path / "final")
    back = tmp_path / "final" / source.relative_to("/")
    assert (back / "keep.bin").read_bytes() == (source / "keep.bin").read_bytes()
    if operation == "backup":
        assert (back / "new.bin").read_bytes() == (source / "new.bin").read_bytes()
    assert not list(store.list("marks/")) or operation != "reclaim"
