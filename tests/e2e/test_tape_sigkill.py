"""SIGKILL during `bkctl apply` writing to tape: earlier points restore, the torn session is
ignored, the next apply completes.

A workload lists the tape target directly, so every apply saves a point into a staging
repository and writes it onto small cartridges (points span cartridges now and then). A
child runs `bkctl apply` and kills itself at a random moment: at a random block or index
write of a cartridge (cut at a random byte first) or just before a random state-file
rename (tape attributes, slot map, catalog, staging repository), or by a timer from the
parent. After each kill the next `bkctl apply` (in this process) must exit 0, and the
points listed must be exactly those whose apply completed, plus possibly the killed one
when the kill came after its commit; they restore byte-identical. At the end the catalog
rebuilt by `bkctl tape scan` (default and --full) lists the same points, and no staging
repository is left behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tape_kills import KILL_SWITCH

from bkctl.cli.main import run

pytestmark = [pytest.mark.slow, pytest.mark.long]

MANIFEST = """\
version: 1
settings: {host: crashy}
encryption: {passphrase_env: BKCTL_PASSPHRASE}
targets:
  tape:
    type: tape
    library: library
    media: test
    cartridge_capacity: 4MiB
    cartridges: 60
policies:
  daily:
    schedule: {every: 1d}
    retention: {last: 1000}
workloads:
  docs: {type: files, paths: [data], policy: daily, targets: [tape], compression: "off"}
"""
CHILD = """
import random, sys
from bkctl.cli.main import run

kill_at, seed, now = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
random.seed(seed)
""" + KILL_SWITCH + """
code = run(["apply", "--auto-approve", "--now", now])
print("calls", calls[0], file=sys.stderr)
sys.exit(code)
"""
START = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
KILLS = 20


def cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = run(list(args))
    return code, out.getvalue()


def snapshot(data: Path, number: int) -> str:
    """New content for the next apply (1.5 MiB, so points span the 4 MiB cartridges); its digest."""
    (data / "big.bin").write_bytes(random.Random(number).randbytes(1536 << 10))
    (data / "day.txt").write_text(f"apply {number}\n")
    return tree_digest(data)


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def listed(tmp_path: Path) -> dict[str, datetime]:
    code, text = cli("points", "--target", "tape", "--json")
    assert code == 0
    return {row["id"]: datetime.fromisoformat(row["time"]) for row in json.loads(text)["points"]}


def restored_digest(tmp_path: Path, point_id: str) -> str:
    where = tmp_path / "restored" / f"{point_id}-{len(list((tmp_path / 'restored').glob('*')))}"
    code, _ = cli("restore", "docs", "--point", point_id, "--to", str(where))
    assert code == 0
    return tree_digest(where / str(tmp_path / "data").lstrip("/"))


def kill_child(tmp_path: Path, kill_at: int, seed: int, now: datetime, timer: float | None) -> int:
    with subprocess.Popen([sys.executable, "-c", CHILD, str(kill_at), str(seed), now.isoformat()], cwd=tmp_path,
                          env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        try:
            _, stderr = child.communicate(timeout=timer or 300)
        except subprocess.TimeoutExpired:
            child.kill()  # SIGKILL, wherever the apply is
            _, stderr = child.communicate()
    assert child.returncode in (0, -9), stderr[-3000:]
    assert "Traceback" not in stderr
    return child.returncode


def test_sigkill_at_random_moments_of_tape_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for key, value in {"BKCTL_PASSPHRASE": "kill me softly", "BKCTL_TEST_FAST_KDF": "1", "NO_COLOR": "1",
                       "BKCTL_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": os.pathsep.join(sys.path)}.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "bkctl.yaml").write_text(MANIFEST)
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "restored").mkdir()
    contents: dict[datetime, str] = {}
    rng = random.Random(12)
    contents[START] = snapshot(data, 0)
    assert cli("apply", "--auto-approve", "--now", START.isoformat())[0] == 0  # creates and labels the library
    kills, number = 0, 1
    completed: set[datetime] = {START}
    calls_per_apply = 95  # block, index and rename calls of one later apply (75-92 measured)
    while kills < KILLS:
        moment = START + timedelta(days=number)
        contents[moment] = snapshot(data, number)
        timer = rng.uniform(1.0, 3.0) if number % 7 == 6 else None
        if kill_child(tmp_path, rng.randrange(1, calls_per_apply), number, moment, timer) == -9:
            kills += 1
        else:
            completed.add(moment)
        number += 1
        moment = START + timedelta(days=number)
        contents[moment] = snapshot(data, number)
        code, text = cli("apply", "--auto-approve", "--now", moment.isoformat())
        assert code == 0, text[-3000:]
        completed.add(moment)
        number += 1
        points = listed(tmp_path)
        assert completed <= set(points.values()) <= set(contents)
        if kills % 5 == 0 or kills >= KILLS:
            for point_id in rng.sample(sorted(points), 2):
                assert restored_digest(tmp_path, point_id) == contents[points[point_id]]
    before = listed(tmp_path)
    for full in ([], ["--full"]):
        assert cli("tape", "scan", "tape", *full)[0] == 0
        assert listed(tmp_path) == before
    assert not any((tmp_path / "library" / "staging").glob("*"))
