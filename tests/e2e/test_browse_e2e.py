"""ls, find, diff and dump through the CLI: a point read without restoring it (issue 10)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli import Runner, make_runner
from conftest import MANIFEST

COMMAND_WORKLOAD = """\
  dump:
    type: command
    command: [/bin/sh, -c, "printf 'create table t (x int);\\n'; head -c 300000 /dev/zero"]
    filename: db.sql
    policy: every-8h
    targets: [local]
"""


def point_ids(bkctl: Runner) -> list[str]:
    return [p["id"] for p in json.loads(bkctl("points", "--json").stdout)["points"]]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Runner, Path, str, str]:
    """One project for the read-only tests: docs backed up twice, with a.txt edited,
    new.txt added and sub/b.bin removed in between (each CLI call costs a second or two)."""
    project = tmp_path_factory.mktemp("history")
    (project / "data" / "sub").mkdir(parents=True)
    (project / "data" / "a.txt").write_text("alpha\n" * 100)
    (project / "data" / "sub" / "b.bin").write_bytes(bytes(range(256)) * 64)
    (project / "bkctl.yaml").write_text(MANIFEST)
    bkctl = make_runner(project)
    assert bkctl("backup", "docs").returncode == 0
    (project / "data" / "a.txt").write_text("alpha\n" * 100 + "omega\n")
    (project / "data" / "new.txt").write_text("new\n")
    (project / "data" / "sub" / "b.bin").unlink()
    assert bkctl("backup", "docs").returncode == 0
    first, second = point_ids(bkctl)
    return bkctl, project, first, second


def test_ls_lists_the_newest_point_below_a_path(history: tuple[Runner, Path, str, str]) -> None:
    bkctl, project, *two_points = history
    data = f"{project}/data"
    listed = bkctl("ls", "docs")
    assert listed.returncode == 0, listed.stderr
    assert f"{data}/new.txt" in listed.stdout.splitlines() and f"{data}/sub/b.bin" not in listed.stdout
    assert f"in point {two_points[1][:8]} of docs" in listed.stderr
    long = bkctl("ls", "docs", data, "-l", "--point", two_points[0][:8]).stdout.splitlines()
    assert long[0].startswith("-rw") and long[0].endswith(f"{data}/a.txt") and " 600 " in long[0]
    assert any(line.startswith("drwx") and line.endswith(f"{data}/sub") for line in long)
    document = json.loads(bkctl("ls", "docs", f"{data}/sub", "--json", "--point", two_points[0]).stdout)
    assert document["format_version"] == 1 and document["point"]["id"] == two_points[0]
    assert [(e["path"], e["type"], e["size"]) for e in document["entries"]] == [(f"{data}/sub/b.bin", "file", 16384)]


def test_ls_errors_carry_the_readme_codes(history: tuple[Runner, Path, str, str]) -> None:
    bkctl, project, _, _ = history
    assert bkctl("ls", "docs", "--point", "ffffffffff").returncode == 66
    missing = bkctl("ls", "docs", f"{project}/data/nothing")
    assert missing.returncode == 66 and "no " in missing.stderr and "nothing" in missing.stderr
    assert bkctl("ls", "nope").returncode == 66
    assert bkctl("ls", "docs", "/a/../b").returncode == 64


def test_find_matches_names_and_paths_across_points(history: tuple[Runner, Path, str, str]) -> None:
    bkctl, project, first, second = history
    found = bkctl("find", "*.txt")
    assert found.returncode == 0, found.stderr
    lines = found.stdout.splitlines()
    assert sum(f"{project}/data/a.txt" in line for line in lines) == 2
    assert [line.split()[0] for line in lines if line.endswith("new.txt")] == [second[:8]]
    by_path = json.loads(bkctl("find", "data/sub/*", "--json").stdout)
    assert by_path["format_version"] == 1
    assert [(m["point"], m["path"]) for m in by_path["matches"]] == [(first, f"{project}/data/sub/b.bin")]
    assert json.loads(bkctl("find", "*.none", "--json").stdout)["matches"] == []
    assert bkctl("find", "*", "--workload", "nope").returncode == 66


def test_diff_names_each_change_with_sizes(history: tuple[Runner, Path, str, str]) -> None:
    bkctl, project, first, second = history
    shown = bkctl("diff", first[:8], second[:8])
    assert shown.returncode == 0, shown.stderr
    data = f"{project}/data"
    assert f"M  {data}/a.txt  (600 B -> 606 B)" in shown.stdout
    assert f"+  {data}/new.txt  (4 B)" in shown.stdout and f"-  {data}/sub/b.bin  (16.0 KiB)" in shown.stdout
    assert "1 added (4 B), 1 removed (16.0 KiB), 1 modified" in shown.stdout
    document = json.loads(bkctl("diff", first, second, "--json").stdout)
    assert document["format_version"] == 1 and document["summary"]["removed_bytes"] == 16384
    changed = {c["path"]: (c["change"], c["old_size"], c["new_size"]) for c in document["changes"]}
    assert changed[f"{data}/a.txt"] == ("modified", 600, 606) and changed[f"{data}/new.txt"] == ("added", None, 4)
    assert bkctl("diff", first, "0000000000").returncode == 66
    assert json.loads(bkctl("diff", second, second, "--json").stdout)["changes"] == []


def dump(bkctl: Runner, *args: str) -> subprocess.CompletedProcess[bytes]:
    """``bkctl dump`` with stdout kept as bytes."""
    return subprocess.run([sys.executable, "-m", "bkctl", "dump", *args], cwd=bkctl.cwd, env=bkctl.env,
                          capture_output=True, timeout=120, check=False)


def test_dump_writes_one_files_bytes(bkctl: Runner, project: Path) -> None:
    (project / "data" / "big.bin").write_bytes(os.urandom(5 << 20))  # several chunks
    assert bkctl("backup", "docs").returncode == 0
    big = dump(bkctl, "docs", f"{project}/data/big.bin")
    assert big.returncode == 0, big.stderr
    assert hashlib.sha256(big.stdout).digest() == hashlib.sha256((project / "data" / "big.bin").read_bytes()).digest()
    assert b"dumped" in big.stderr and b"5.0 MiB" in big.stderr
    folder = dump(bkctl, "docs", f"{project}/data/sub")
    assert folder.returncode == 64 and b"not a file" in folder.stderr and folder.stdout == b""
    assert dump(bkctl, "docs", f"{project}/data/none").returncode == 66
    pack = max((p for p in (project / "repo" / "data").rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    raw = bytearray(pack.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    pack.write_bytes(bytes(raw))
    damaged = dump(bkctl, "docs", f"{project}/data/big.bin")
    assert damaged.returncode == 67 and b"incomplete: discard it" in damaged.stderr
    assert len(damaged.stdout) < 5 << 20


def test_dump_of_a_stream_point_takes_the_items_name(bkctl: Runner, project: Path) -> None:
    manifest = project / "bkctl.yaml"
    manifest.write_text(manifest.read_text() + COMMAND_WORKLOAD)
    assert bkctl("backup", "dump").returncode == 0
    out = dump(bkctl, "dump", "db.sql")
    assert out.returncode == 0, out.stderr
    assert out.stdout == b"create table t (x int);\n" + bytes(300000)


def test_a_damaged_point_document_is_67_when_read(bkctl: Runner, project: Path) -> None:
    assert bkctl("backup", "docs").returncode == 0
    (point,) = point_ids(bkctl)
    document = project / "repo" / "points" / point
    raw = bytearray(document.read_bytes())
    raw[-1] ^= 1
    document.write_bytes(bytes(raw))
    shutil.rmtree(project / "cache")  # another machine: no intact cached copy
    damaged = bkctl("ls", "docs", "--point", point[:8])
    assert damaged.returncode == 67 and "damaged" in damaged.stderr and "bkctl forget" in damaged.stderr
