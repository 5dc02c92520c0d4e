"""Incrementals hold their full's cartridge: chain-aware, lazy recycling through `plan --now` and `apply --now`.

On 64 MiB ``test`` cartridges (62 MiB before early warning), with a weekly pool keeping
points two days and backups every 12 hours from Monday 2 March 2026:

- P0, a full of 63 MiB, fills A (its last MiB on B); P1 and P2, incrementals of a 2 MiB
  change, go to B;
- once P0 expired, A is still not recyclable while P1 or P2 lives (they are based on it),
  so the next write (a full: its chain has expired) has no cartridge: a warning, no recycle;
- once every point of the chain expired, A is recyclable, but only recycled because the
  write needs a cartridge beyond B, whose end it appends to;
- in the next week a new media set starts and its full needs two cartridges: A and B are
  both recycled, and the new point restores.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from cli import Runner

MANIFEST = """\
version: 1
settings: {host: tape-host}
encryption: {passphrase_env: BKCTL_PASSPHRASE}
targets:
  tape:
    type: tape
    library: library
    media: test
    cartridges: 2
    pool: weekly
    format: incremental
    pools:
      weekly: {allocation: weekly, retention: 2d}
policies:
  twice-a-day:
    schedule: {every: 12h}
    retention: {last: 100}
workloads:
  docs: {type: files, paths: [data], policy: twice-a-day, targets: [tape], compression: "off"}
"""
A, B = "BK0001TT", "BK0002TT"
MiB = 1 << 20


def at(hours: int) -> str:
    return f"2026-03-{2 + hours // 24:02d}T{hours % 24:02d}:00:00Z"


@pytest.fixture
def weekly(project: Path) -> Path:
    (project / "bkctl.yaml").write_text(MANIFEST)
    (project / "data" / "a.txt").unlink()
    (project / "data" / "sub" / "b.bin").unlink()
    (project / "data" / "big.bin").write_bytes(random.Random(0).randbytes(61 * MiB))
    return project


def change(project: Path, seed: int) -> None:
    (project / "data" / "journal.bin").write_bytes(random.Random(100 + seed).randbytes(2 * MiB))


def plan(bkctl: Runner, hours: int) -> dict:
    made = bkctl("plan", "--json", "--now", at(hours))
    assert made.returncode == 0, made.stderr
    return json.loads(made.stdout)


def apply(bkctl: Runner, hours: int) -> None:
    done = bkctl("apply", "--auto-approve", "--now", at(hours))
    assert done.returncode == 0, done.stdout + done.stderr


def placed(bkctl: Runner) -> list[dict]:
    status = json.loads(bkctl("tape", "status", "tape", "--json").stdout)
    return sorted((p for p in status["placements"] if not p["expired"]), key=lambda p: p["time"])


def recycled(made: dict) -> list[str]:
    return sorted(c for a in made["actions"] if a["kind"] == "recycle-cartridge" for c in a["cartridges"])


def test_a_full_is_recycled_only_after_its_incrementals_expired_and_when_a_cartridge_is_needed(
        bkctl: Runner, weekly: Path) -> None:
    for hours, seed in ((0, 0), (12, 1), (24, 2)):
        change(weekly, seed)
        apply(bkctl, hours)
    p0, p1, p2 = placed(bkctl)
    assert [(p["cartridges"], p["base"]) for p in (p0, p1, p2)] == [
        ([A, B], None), ([B], p0["id"]), ([B], p1["id"])]
    assert p1["stored_bytes"] < 3 * MiB < 62 * MiB < p0["stored_bytes"]

    for hours in (49, 61):  # P0 expired (then P1 too), its chain's last incremental lives: A is held
        held = plan(bkctl, hours)
        assert recycled(held) == []
        assert any(w["kind"] == "scratch-exhausted" and "no cartridge left for the backup" in w["message"]
                   for w in held["warnings"])

    needed = plan(bkctl, 73)  # the whole chain expired: the next full needs a cartridge beyond B
    assert recycled(needed) == [A]  # B is recyclable too, but it is the set's writable end: appended to
    backup = next(a for a in needed["actions"] if a["kind"] == "backup")
    assert backup["cartridges"] == [B, A]

    change(weekly, 3)
    next_week = plan(bkctl, 168)  # a new media set: its full needs two cartridges, both recycled
    assert recycled(next_week) == [A, B]
    apply(bkctl, 168)
    (p3,) = placed(bkctl)
    assert p3["base"] is None and sorted(p3["cartridges"]) == [A, B]
    out = weekly / "restored"
    assert bkctl("restore", "docs", "--to", str(out)).returncode == 0
    restored = out / str(weekly / "data").lstrip("/")
    assert (restored / "journal.bin").read_bytes() == (weekly / "data" / "journal.bin").read_bytes()
    assert (restored / "big.bin").read_bytes() == (weekly / "data" / "big.bin").read_bytes()
