"""Damage as an operator meets it through the CLI (issue 9, defects 2-4).

The warm local cache must not hide damage from ``verify``; a damaged point document
breaks that point only; ``repair points`` writes back the intact cached copy and
``repair index`` rebuilds a lost index from the packs.
"""

from __future__ import annotations

import json
from pathlib import Path

from cli import Runner


def flip(path: Path, position: int) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 0x01
    path.write_bytes(bytes(data))


def two_points(bkctl: Runner, project: Path) -> list[dict[str, object]]:
    assert bkctl("backup", "docs").returncode == 0
    (project / "data" / "new.txt").write_text("second point\n")
    assert bkctl("backup", "docs").returncode == 0
    return _points(bkctl)


def _points(bkctl: Runner, env: dict[str, str] | None = None) -> list[dict[str, object]]:
    """``points --json`` rows (a bare list, or under "points" with a format version)."""
    listed = json.loads(bkctl("points", "--json", extra_env=env).stdout)
    return listed["points"] if isinstance(listed, dict) else listed


def test_a_damaged_point_document_is_found_named_isolated_and_repaired(bkctl: Runner, project: Path):
    first, second = two_points(bkctl, project)
    document = project / "repo" / "points" / str(first["id"])
    flip(document, len(document.read_bytes()) // 2)

    verified = bkctl("verify", "--read-data", "100")  # the warm cache still holds the good copy
    assert verified.returncode == 67, verified.stdout + verified.stderr
    assert f"points/{first['id']}" in verified.stdout

    cold = {"BKCTL_CACHE_DIR": str(project / "cold-cache")}
    assert [p["id"] for p in _points(bkctl, cold)] == [second["id"]]  # the other point is untouched
    planned = bkctl("plan", extra_env=cold)
    assert planned.returncode == 0 and "damaged-points" in planned.stdout, planned.stdout + planned.stderr
    assert bkctl("restore", "docs", "--to", "out", extra_env=cold).returncode == 0

    repaired = bkctl("repair", "points")  # from the warm cache of the machine that made it
    assert repaired.returncode == 0 and "1 restored" in repaired.stdout, repaired.stdout
    assert bkctl("verify", "--read-data", "100", extra_env=cold).returncode == 0


def test_a_lost_index_is_rebuilt_from_the_packs(bkctl: Runner, project: Path):
    two_points(bkctl, project)
    for index in (project / "repo" / "index").iterdir():
        index.unlink()
    cold = {"BKCTL_CACHE_DIR": str(project / "cold-cache")}
    broken = bkctl("restore", "docs", "--to", "out", extra_env=cold)
    assert broken.returncode == 67 and "repair index" in broken.stderr, broken.stderr
    assert bkctl("repair", "index", extra_env=cold).returncode == 0
    assert bkctl("verify", "--read-data", "100", extra_env=cold).returncode == 0
    restored = bkctl("restore", "docs", "--to", "out2", extra_env=cold)
    assert restored.returncode == 0, restored.stderr
    back = project / "out2" / project.relative_to("/") / "data" / "new.txt"
    assert back.read_text() == "second point\n"
