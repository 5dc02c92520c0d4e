"""SIGKILL during tape writes: earlier points restore, the torn session is ignored, the next write completes.

A child process writes points onto small cartridges (they span every other point) and
is killed at a random moment: in the middle of a block or index write (the write is cut
at a random byte first), or just before a state file is renamed into place; the slow
variant also kills by timer from the parent, wherever the writer is. After every
kill the parent checks that every point the child reported committed is listed and the
newest restores byte-identical, and that nothing else is listed except possibly the
point in flight (committed on tape just before the kill). At the end the catalog rebuilt
from the cartridges equals the local one, with the default and the full scan. The same
holds for ``format: incremental`` writes (a kill between a commit and the point's chunk list
only makes the next point a full).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from tape_kills import KILL_SWITCH
from tape_setup import PASSPHRASE, MiB, day, digests, make_library, make_repository, restored_files

from bkctl.archiver import backup_paths
from bkctl.tape import TapeLibrary
from bkctl.tape.durable import canonical_json

POOLS = ("first", "second", "third", "fourth")
CHILD = f"POOLS = {POOLS!r}\n" + """
import os, random, sys
from datetime import datetime
from pathlib import Path
from bkctl.repo import Repository
from bkctl.secrets import Secret
from bkctl.store import LocalStore
from bkctl.tape import PoolRule, TapeLibrary

library_path, repository_path, cache, seed, kill_at, now, pool, *points = sys.argv[1:]
random.seed(int(seed))
""" + KILL_SWITCH + """

passphrase = Secret(os.environ["TAPE_PASSPHRASE"])
library = TapeLibrary.open(Path(library_path), passphrase)
repository = Repository.open(LocalStore(Path(repository_path)), passphrase, cache_dir=Path(cache))
rules = {name: PoolRule(name, "continue", format=os.environ["TAPE_FORMAT"]) for name in POOLS}
for point_id in points:
    library.writer(rules, datetime.fromisoformat(now)).write(repository, point_id, pool)
    print("committed", point_id, flush=True)
"""
SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
CALLS_PER_POINT = 75  # block and index writes plus state-file renames of one ~1.3 MiB point


@pytest.fixture(scope="module")
def source():
    """Thirty points that share most of their data in the repository but not on tape.

    On tmpfs when there is one: a SIGKILL leaves the page cache as it is, so tmpfs shows
    exactly what a disk would after a kill, without the fsyncs that make a busy disk slow.
    """
    work = Path(tempfile.mkdtemp(prefix="bkctl-tape-crash-", dir=SCRATCH))
    repository = make_repository(work / "repo")
    folder = work / "source"
    folder.mkdir()
    (folder / "shared.bin").write_bytes(os.urandom(MiB))
    points = {}
    for number in range(30):
        (folder / "changing.bin").write_bytes(os.urandom(256 << 10))
        point = backup_paths(repository, workload="crashy", host="h", paths=[folder], compression=None,
                             now=day(number))
        points[point.id] = digests(folder)
    yield work, folder, points
    shutil.rmtree(work, ignore_errors=True)


def run_child(work: Path, seed: int, kill_at: int, pool: str, points: list[str],
              kill_after: float | None = None, tape_format: str = "full") -> tuple[int, list[str]]:
    """Run one writer; it kills itself at hooked call ``kill_at``, or the parent kills it after ``kill_after`` s."""
    env = {**os.environ, "TAPE_PASSPHRASE": PASSPHRASE.reveal(), "BKCTL_TEST_FAST_KDF": "1",
           "TAPE_FORMAT": tape_format}
    command = [sys.executable, "-c", CHILD, str(work / "library"), str(work / "repo"), str(work / "child-cache"),
               str(seed), str(kill_at), day(60).isoformat(), pool, *points]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        try:
            stdout, stderr = child.communicate(timeout=kill_after or 120)
        except subprocess.TimeoutExpired:
            child.kill()  # SIGKILL, wherever the writer is
            stdout, stderr = child.communicate()
    committed = [line.split()[1] for line in stdout.splitlines() if line.startswith("committed ")]
    assert child.returncode in (0, -9), stderr[-2000:]
    return child.returncode, committed


def catalogs(library: TapeLibrary) -> bytes:
    return canonical_json({m: c.to_json() for m, c in sorted(library.store.load_all().items())})


def crash_and_check(source, tmp_path: Path, kills_wanted: int, seed: int, timer_every: int = 0,
                    tape_format: str = "full") -> None:
    """Kill writers until ``kills_wanted`` hooked kills happened (plus a timer kill every ``timer_every`` runs).

    The points go into one pool after another (a pool takes each point once), so a long
    run has enough writes to interrupt.
    """
    work, folder, points = source
    shutil.rmtree(work / "library", ignore_errors=True)
    make_library(work / "library", cartridges=100, capacity=3 * MiB)
    rng = random.Random(seed)
    state = {"kills": 0, "runs": 0}
    for pool in POOLS:
        confirmed = crash_pool(work, folder, points, pool, rng, tmp_path, kills_wanted, timer_every, state,
                               tape_format)
        if state["kills"] >= kills_wanted:
            break
    assert state["kills"] >= kills_wanted
    library = TapeLibrary.open(work / "library", PASSPHRASE)
    for point_id in confirmed[::7] + confirmed[-1:]:
        assert restored_files(library, point_id, tmp_path, folder) == points[point_id]
    before = catalogs(library)
    for full in (False, True):
        shutil.rmtree(work / "library" / "catalog")
        library.scan(full=full)
        assert catalogs(library) == before


def crash_pool(work: Path, folder: Path, points: dict[str, dict[str, str]], pool: str, rng: random.Random,
               tmp_path: Path, kills_wanted: int, timer_every: int, state: dict[str, int],
               tape_format: str = "full") -> list[str]:
    """Write every point into ``pool`` through killed and finished runs; check after each run."""
    pending, confirmed = list(points), []
    while pending:
        killing = state["kills"] < kills_wanted
        batch = pending[:3] if killing else pending  # once killed enough, the rest in one run
        state["runs"] += 1
        timed = killing and timer_every and state["runs"] % timer_every == 0
        kill_at = rng.randrange(1, CALLS_PER_POINT * len(batch)) if killing and not timed else 0
        code, committed = run_child(work, rng.randrange(1 << 30), kill_at, pool, batch,
                                    rng.uniform(0.5, 3.0) if timed else None, tape_format)
        state["kills"] += code == -9 and not timed
        library = TapeLibrary.open(work / "library", PASSPHRASE)
        library.sync()
        listed = {p.id for c, p in library.points() if c.pool == pool}
        in_flight = set(batch[len(committed):len(committed) + 1]) if code == -9 else set()
        assert set(confirmed + committed) <= listed <= set(confirmed + committed) | in_flight
        confirmed += [p for p in batch if p in listed]
        pending = [p for p in pending if p not in listed]
        if confirmed and code == -9:
            newest = confirmed[-1]
            assert restored_files(library, newest, tmp_path, folder) == points[newest]
    return confirmed


def test_sigkill_at_twenty_random_moments_of_tape_writes(source, tmp_path):
    crash_and_check(source, tmp_path, kills_wanted=20, seed=20240101)


def test_sigkill_during_incremental_tape_writes_leaves_every_earlier_point_restorable(source, tmp_path):
    """Incrementals of the shared file's chain: each kill's newest confirmed point restores through its chain."""
    crash_and_check(source, tmp_path, kills_wanted=2, seed=20261130, tape_format="incremental")
    library = TapeLibrary.open(source[0] / "library", PASSPHRASE)
    assert sum(p.format == "incremental" for _, p in library.points()) > 20


@pytest.mark.slow
@pytest.mark.long
def test_sigkill_at_many_more_random_moments_of_tape_writes(source, tmp_path):
    crash_and_check(source, tmp_path, kills_wanted=60, seed=7, timer_every=4)
