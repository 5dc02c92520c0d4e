"""A randomized soak: four processes share one repository for hundreds of operations.

Backups, applies that prune and reclaim, bare reclaims and verifies run concurrently
through the CLI; some are killed (at a named crash point, or by SIGKILL after a random
delay) and bytes of the local caches are flipped. At the end, with an empty cache, the
repository must verify clean, no point a run reported as made may be missing unless its
retention pruned it, and every point must restore to exactly what was backed up.

Not part of the default run (``pytest -m soak``; ``BKCTL_SOAK_OPS`` sets the total).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from bkctl.repo.crashpoints import CRASH_POINTS

pytestmark = pytest.mark.soak

WORKERS = 4
PASSPHRASE = "soak passphrase"
MANIFEST = """\
version: 1
encryption: {{passphrase_env: BKCTL_PASSPHRASE}}
settings: {{host: soak, reclaim_grace: 1s}}
targets:
  shared: {{type: disk, path: {repo}}}
policies:
  keep3: {{schedule: {{every: 1h}}, retention: {{last: 3}}}}
workloads:
  w{number}: {{type: files, paths: [{source}], policy: keep3, targets: [shared]}}
"""
ALLOWED_CODES = {0, 68, -signal.SIGKILL}  # 68: another maintenance run holds its lock


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@dataclass
class Tally:
    operations: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    made: dict[str, tuple[str, str, float]] = field(default_factory=dict)  # id prefix -> (workload, digest, when)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Worker:
    def __init__(self, number: int, base: Path, shared: list[bytes], tally: Tally, seed: int) -> None:
        self.number, self.base, self.shared, self.tally = number, base, shared, tally
        self.random = random.Random(seed)
        self.source = base / f"src{number}"
        self.cache = base / f"cache{number}"
        self.manifest = base / f"w{number}.yaml"
        self.source.mkdir()
        self.manifest.write_text(MANIFEST.format(repo=base / "repo", number=number, source=self.source))
        self.hours = 1
        for index in range(6):
            self.mutate(index)

    def env(self, crash: str | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BKCTL_")}
        env.update(BKCTL_PASSPHRASE=PASSPHRASE, BKCTL_TEST_FAST_KDF="1", BKCTL_CACHE_DIR=str(self.cache),
                   NO_COLOR="1", COLUMNS="200")
        if crash:
            env["BKCTL_CRASH_AT"] = crash
        return env

    def mutate(self, salt: int) -> None:
        choice = self.random.random()
        name = self.source / f"f{self.random.randrange(12)}.bin"
        if choice < 0.4:
            name.write_bytes(self.random.choice(self.shared))  # data other workers hold too
        elif choice < 0.8:
            name.write_bytes(os.urandom(self.random.randrange(1, 300_000)) + bytes([salt % 256]))
        elif name.exists():
            name.unlink()

    def flip_cache_byte(self) -> None:
        files = [p for p in self.cache.rglob("*") if p.is_file()] if self.cache.exists() else []
        if files:
            victim = self.random.choice(files)
            data = bytearray(victim.read_bytes())
            if data:
                data[self.random.randrange(len(data))] ^= 0x01
                victim.write_bytes(bytes(data))

    def run(self, operations: int) -> None:
        for step in range(operations):
            roll = self.random.random()
            if roll < 0.15:
                self.flip_cache_byte()
                self.count("cache-flip", "done")
                continue
            self.mutate(step)
            crash = self.random.choice(CRASH_POINTS) if roll < 0.35 else None
            kill_after = self.random.uniform(0.05, 1.5) if 0.35 <= roll < 0.45 else None
            kind = self.random.choice(["backup", "backup", "apply", "apply", "reclaim", "verify"])
            self.command(kind, crash, kill_after)

    def command(self, kind: str, crash: str | None, kill_after: float | None) -> None:
        digest = tree_digest(self.source)
        args = {"backup": ["backup", f"w{self.number}"], "reclaim": ["reclaim"], "verify": ["verify"],
                "apply": ["apply", "--auto-approve", "--allow-mass-prune", "--now", f"+{self.hours}h"]}[kind]
        if kind == "apply":
            self.hours += 2
        process = subprocess.Popen([sys.executable, "-m", "bkctl", *args, "-m", str(self.manifest)],
                                   env=self.env(crash), cwd=self.base, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        timer = threading.Timer(kill_after, process.kill) if kill_after else None
        if timer:
            timer.start()
        output, _ = process.communicate(timeout=300)
        if timer:
            timer.cancel()
        label = "killed" if process.returncode == -signal.SIGKILL else str(process.returncode)
        self.count(kind + ("+crash" if crash else "+kill" if kill_after else ""), label)
        for made in re.findall(rf"backup w{self.number} -> shared: recovery point ([0-9a-f]{{12}})", output):
            with self.tally.lock:
                self.tally.made[made] = (f"w{self.number}", digest, time.time())
        if process.returncode not in ALLOWED_CODES or "Traceback" in output or PASSPHRASE in output:
            with self.tally.lock:
                self.tally.unexpected.append(f"{args} crash={crash}: exit {process.returncode}\n{output[-2000:]}")

    def count(self, operation: str, outcome: str) -> None:
        with self.tally.lock:
            self.tally.operations[operation] += 1
            self.tally.outcomes[outcome] += 1


def bkctl(base: Path, *args: str, cache: str = "final-cache") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BKCTL_")}
    env.update(BKCTL_PASSPHRASE=PASSPHRASE, BKCTL_TEST_FAST_KDF="1", BKCTL_CACHE_DIR=str(base / cache),
               NO_COLOR="1", COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "bkctl", *args], cwd=base, env=env, capture_output=True,
                          text=True, timeout=600)


def test_soak(tmp_path: Path):
    """``BKCTL_SOAK_DIR`` keeps the repository and sources there for a post-mortem."""
    total = int(os.environ.get("BKCTL_SOAK_OPS", "240"))
    if os.environ.get("BKCTL_SOAK_DIR"):
        tmp_path = Path(os.environ["BKCTL_SOAK_DIR"])
        tmp_path.mkdir(parents=True, exist_ok=False)
    shared = [os.urandom(200_000) for _ in range(5)]
    tally = Tally()
    workers = [Worker(n, tmp_path, shared, tally, seed=1000 + n) for n in range(WORKERS)]
    started = time.monotonic()
    threads = [threading.Thread(target=w.run, args=(total // WORKERS,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert not tally.unexpected, "\n\n".join(tally.unexpected[:5])
    for worker in workers:  # the next scheduled runs: finish interrupted work, delete ripe marks
        assert bkctl(tmp_path, "reclaim", "-m", str(worker.manifest)).returncode == 0
        time.sleep(1.1)
        assert bkctl(tmp_path, "reclaim", "-m", str(worker.manifest)).returncode == 0
    verified = bkctl(tmp_path, "verify", "--read-data", "100", "-m", str(workers[0].manifest))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    lost, restored = check_points(tmp_path, workers, tally)
    print(f"\nsoak: {sum(tally.operations.values())} operations in {elapsed:.0f} s on {WORKERS} processes; "
          f"by kind {dict(tally.operations)}; outcomes {dict(tally.outcomes)}; points reported made "
          f"{len(tally.made)}, restored and compared {restored}, lost {lost}; verify failures 0")
    assert lost == 0


def check_points(base: Path, workers: list[Worker], tally: Tally) -> tuple[int, int]:
    """No reported point is missing unless three newer points of its workload exist (its
    retention is ``last: 3``); every existing point restores exactly what was backed up."""
    listing = bkctl(base, "points", "--json", "-m", str(workers[0].manifest))
    assert listing.returncode == 0, listing.stderr
    points = json.loads(listing.stdout)["points"]
    present = {p["id"][:12] for p in points}
    lost = 0
    for prefix, (workload, _, when) in tally.made.items():
        newer = [p for p in points
                 if p["workload"] == workload and datetime.fromisoformat(p["time"]).timestamp() > when]
        if prefix not in present and len(newer) < 3:
            lost += 1
    restored = 0
    for point in points:
        out = base / "restore" / point["id"]
        manifest = next(w.manifest for w in workers if f"w{w.number}" == point["workload"])
        result = bkctl(base, "restore", point["workload"], "--point", point["id"], "--to", str(out), "-m",
                       str(manifest))
        assert result.returncode == 0, result.stdout + result.stderr
        expected = tally.made.get(point["id"][:12])
        if expected is not None:
            source = base / f"src{point['workload'][1:]}"
            assert tree_digest(out / source.relative_to("/")) == expected[1], point["id"]
        restored += 1
    return lost, restored
