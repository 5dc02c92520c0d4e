"""Chain-aware, lazy recycling, seen through `bkctl plan --now` and `bkctl apply --now`.

Here the chain is a full point spanning cartridges (incrementals holding their full's
cartridge are in test_tape_incremental_recycling.py): point P0 starts on A (BK0001TT)
and ends on B, where P1 starts and goes on to C. With a two-day pool retention:

- while P0 lives, A is not recyclable: a write that needs more room than the library
  has gets a scratch-exhausted warning, and no recycle;
- once P0 expired, A becomes recyclable, B does not (P1 on it lives), and still nothing is
  recycled while the next write fits (Bareos's rule: recycle only when a cartridge is needed);
- when a write needs one, the plan recycles A, and only A, and names it for the write;
  apply does exactly that, and P1 still restores from B and C.
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
    cartridge_capacity: 4MiB
    cartridges: 3
    pool: rolling
    pools:
      rolling: {allocation: continue, retention: 2d}
policies:
  twice-a-day:
    schedule: {every: 12h}
    retention: {last: 100}
workloads:
  docs: {type: files, paths: [data], policy: twice-a-day, targets: [tape], compression: "off"}
"""
A, B, C = "BK0001TT", "BK0002TT", "BK0003TT"


def at(hours: int) -> str:
    return f"2026-03-0{1 + hours // 24}T{hours % 24:02d}:00:00Z"


@pytest.fixture
def rolling(project: Path) -> Path:
    (project / "bkctl.yaml").write_text(MANIFEST)
    (project / "data" / "a.txt").unlink()
    (project / "data" / "sub" / "b.bin").unlink()
    return project


def data(project: Path, mebibytes: float, seed: int) -> None:
    (project / "data" / "big.bin").write_bytes(random.Random(seed).randbytes(int(mebibytes * (1 << 20))))


def plan(bkctl: Runner, hours: int) -> dict:
    made = bkctl("plan", "--json", "--now", at(hours))
    assert made.returncode == 0, made.stderr
    return json.loads(made.stdout)


def apply(bkctl: Runner, hours: int) -> None:
    done = bkctl("apply", "--auto-approve", "--now", at(hours))
    assert done.returncode == 0, done.stdout + done.stderr


def placed(bkctl: Runner) -> dict[str, tuple[str, ...]]:
    status = json.loads(bkctl("tape", "status", "tape", "--json").stdout)
    return {p["time"][:16]: tuple(p["cartridges"]) for p in status["placements"] if not p["expired"]}


def kinds(made: dict) -> list[str]:
    return [a["kind"] for a in made["actions"]]


def test_a_cartridge_is_recycled_only_when_its_points_expired_and_a_write_needs_it(bkctl: Runner,
                                                                                  rolling: Path) -> None:
    data(rolling, 5, 0)
    apply(bkctl, 0)  # P0 spans A and B
    data(rolling, 3, 1)
    apply(bkctl, 24)  # P1 spans B and C, the last scratch cartridge
    alive = plan(bkctl, 36)  # the next write (assumed as large as P1) needs a cartridge beyond C
    assert "recycle-cartridge" not in kinds(alive)  # P0 lives: A cannot be recycled, nor B
    assert any(w["kind"] == "scratch-exhausted" and "no cartridge left for the backup" in w["message"]
               for w in alive["warnings"])
    data(rolling, 0.5, 2)
    apply(bkctl, 36)  # P2 fits on C
    assert placed(bkctl) == {"2026-03-01T00:00": (A, B), "2026-03-02T00:00": (B, C), "2026-03-02T12:00": (C,)}

    data(rolling, 1.5, 3)
    lazy = plan(bkctl, 50)  # P0 expired and A is recyclable, but the write fits on C: nothing is recycled
    assert "recycle-cartridge" not in kinds(lazy)
    assert [p["time"][:16] for a in lazy["actions"] if a["kind"] == "prune" for p in a["points"]] == [
        "2026-03-01T00:00"]
    apply(bkctl, 50)  # P3 on C, P0 pruned

    needed = plan(bkctl, 62)  # the write needs a cartridge beyond C: A is recycled; B is not (P1 lives)
    recycles = [a for a in needed["actions"] if a["kind"] == "recycle-cartridge"]
    assert [a["cartridges"] for a in recycles] == [[A]]
    assert [p["time"][:16] for p in recycles[0]["points"]] == ["2026-03-01T00:00"]
    backup = next(a for a in needed["actions"] if a["kind"] == "backup")
    assert backup["cartridges"] == [C, A] and "BK0003TT (append), BK0001TT (recycle)" in backup["detail"]

    apply(bkctl, 62)
    assert placed(bkctl) == {"2026-03-02T00:00": (B, C), "2026-03-02T12:00": (C,), "2026-03-03T02:00": (C,),
                             "2026-03-03T14:00": (C, A)}
    p1 = json.loads(bkctl("points", "--target", "tape", "--json").stdout)["points"][0]
    assert p1["time"].startswith("2026-03-02T00:00")
    out = rolling / "restored"
    assert bkctl("restore", "docs", "--point", p1["id"], "--to", str(out)).returncode == 0
    assert (out / str(rolling / "data").lstrip("/") / "big.bin").read_bytes() == random.Random(1).randbytes(3 << 20)
