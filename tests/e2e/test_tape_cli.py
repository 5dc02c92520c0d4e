"""Tape targets through the CLI as users run them: apply, restore, tape status/label/scan/export/import/copy."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from cli import Runner

from bkctl.errors import ExitCode

DIRECT = """\
version: 1
settings: {host: tape-host}
encryption: {passphrase_env: BKCTL_PASSPHRASE}
targets:
  back: {type: disk, path: back}
  tape:
    type: tape
    library: library
    media: test
    cartridges: 6
    mail_slots: 2
    pool: daily
    pools:
      daily: {allocation: continue}
    vaults:
      offsite: {path: vault, recall: 2d}
    timing: {rate: 50MB, load_seconds: 20, locate_seconds: 30}
policies:
  daily:
    schedule: {every: 1d}
    retention: {last: 10}
workloads:
  docs: {type: files, paths: [data], policy: daily, targets: [tape]}
  dump: {type: command, command: ["/bin/sh", "-c", "printf 'create table t (x int);'; head -c 100000 /dev/zero"],
         filename: dump.sql, policy: daily, targets: [tape]}
"""
DAY0, DAY1, DAY2 = "2026-01-04T20:00:00Z", "2026-01-05T20:00:00Z", "2026-01-06T20:00:00Z"


@pytest.fixture
def direct(project: Path) -> Path:
    (project / "bkctl.yaml").write_text(DIRECT)
    return project


def points(bkctl: Runner, target: str) -> list[dict]:
    listed = bkctl("points", "--target", target, "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)["points"]


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_shipped_tape_rotation_example_applies_end_to_end(bkctl: Runner, tmp_path: Path,
                                                                repo_root: Path) -> None:
    """examples/tape-rotation.yaml as shipped: paths under ~ (the runner's own HOME) and '.'."""
    project = tmp_path / "examples"
    project.mkdir()
    shutil.copy(repo_root / "examples" / "tape-rotation.yaml", project)
    (project / "notes.txt").write_text("what the example backs up\n" * 50)
    manifest = str(project / "tape-rotation.yaml")
    first = bkctl("apply", manifest, "--auto-approve", "--now", DAY0)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "24 cartridges labelled" in first.stdout
    assert bkctl("apply", manifest, "--auto-approve", "--now", DAY1).returncode == 0
    plan = bkctl("plan", manifest, "--now", DAY2)
    assert plan.returncode == 0 and "gfs-rotation" in plan.stdout
    assert "into pool 'weekly'; cartridge BK0001L8 (scratch)" in " ".join(plan.stdout.split())
    assert bkctl("apply", manifest, "--auto-approve", "--now", DAY2).returncode == 0
    on_tape = json.loads(bkctl("points", "-m", manifest, "--target", "tape-lib", "--json").stdout)["points"]
    assert [p["time"] for p in on_tape] == ["2026-01-04T20:00:00+00:00"]  # Sunday's point, the week's newest
    restored = bkctl("restore", "examples", "-m", manifest, "--target", "tape-lib", "--to", str(tmp_path / "out"))
    assert restored.returncode == 0, restored.stderr
    assert "reading 1 cartridge(s) in order: BK0001L8 (slot 1)" in restored.stderr
    assert (tmp_path / "out" / str(project).lstrip("/") / "notes.txt").read_text() == "what the example backs up\n" * 50


def test_offsite_cartridges_are_never_written_and_stop_restores_until_imported(bkctl: Runner, direct: Path) -> None:
    assert bkctl("apply", "--auto-approve", "--now", DAY0).returncode == 0
    first = {p["workload"]: p for p in points(bkctl, "tape")}
    exported = bkctl("tape", "export", "tape", "BK0001TT")
    assert exported.returncode == 0 and "exported to vault 'offsite'" in exported.stdout
    refused = bkctl("restore", "docs", "--target", "tape", "--to", str(direct / "out"))
    assert refused.returncode == ExitCode.MEDIA_OFFSITE == 73
    assert "BK0001TT in vault 'offsite' (recall lead time 2d)" in refused.stderr
    assert "bkctl tape import tape BK0001TT" in refused.stderr
    assert not (direct / "out").exists()
    plan = " ".join(bkctl("plan", "--now", DAY1).stdout.split())
    assert "Warning [media-offsite]: target 'tape': the writable end of pool 'daily', cartridge BK0001TT" in plan
    assert "cartridge BK0002TT (scratch)" in plan
    status = json.loads(bkctl("tape", "status", "tape", "--json").stdout)
    used_before = {c["barcode"]: c["used"] for c in status["cartridges"]}
    assert bkctl("apply", "--auto-approve", "--now", DAY1).returncode == 0
    status = json.loads(bkctl("tape", "status", "tape", "--json").stdout)
    away = {c["barcode"]: c for c in status["cartridges"]}["BK0001TT"]
    assert away["location"] == "vault:offsite" and away["used"] == used_before["BK0001TT"]
    assert {tuple(p["cartridges"]) for p in status["placements"] if p["time"].startswith("2026-01-05")} == {
        ("BK0002TT",)}
    assert bkctl("tape", "import", "tape", "BK0001TT").returncode == 0
    back = bkctl("restore", "docs", "--target", "tape", "--point", first["docs"]["id"], "--to", str(direct / "out"))
    assert back.returncode == 0, back.stderr
    assert files_of(direct / "out" / str(direct / "data").lstrip("/")) == files_of(direct / "data")


def test_tape_status_lists_every_place_and_scan_rebuilds_the_catalog(bkctl: Runner, direct: Path) -> None:
    assert bkctl("apply", "--auto-approve", "--now", DAY0).returncode == 0
    status = json.loads(bkctl("tape", "status", "tape", "--json").stdout)
    assert (len(status["slots"]), len(status["drives"]), len(status["mail_slots"])) == (6, 1, 2)
    states = {c["barcode"]: (c["state"], c["location"]) for c in status["cartridges"]}
    assert states["BK0001TT"] == ("append", "slot 1") and states["BK0006TT"] == ("scratch", "slot 6")
    text = bkctl("tape", "status", "tape")
    assert text.returncode == 0 and "BK0006TT" in text.stdout and "Mail slots: 1: empty, 2: empty" in text.stdout
    before = points(bkctl, "tape")
    shutil.rmtree(direct / "library" / "catalog")
    assert points(bkctl, "tape") == []
    scanned = bkctl("tape", "scan", "tape")
    assert scanned.returncode == 0 and "2 recovery point(s)" in scanned.stdout
    assert points(bkctl, "tape") == before
    assert bkctl("tape", "scan", "tape", "--full").returncode == 0 and points(bkctl, "tape") == before


def test_a_database_point_restores_from_tape_and_copies_back_to_disk(bkctl: Runner, direct: Path) -> None:
    assert bkctl("apply", "--auto-approve", "--now", DAY0).returncode == 0  # also creates the disk target
    dumped = b"create table t (x int);" + bytes(100000)
    restored = bkctl("restore", "dump", "--target", "tape", "--to-file", str(direct / "dump.sql"))
    assert restored.returncode == 0, restored.stderr
    assert (direct / "dump.sql").read_bytes() == dumped
    dump = next(p for p in points(bkctl, "tape") if p["workload"] == "dump")
    copied = bkctl("tape", "copy", "tape", dump["id"][:10], "--to", "back")
    assert copied.returncode == 0 and "1 recovery point(s) copied from 'tape' into 'back'" in copied.stdout
    assert [p["id"] for p in points(bkctl, "back")] == [dump["id"]]
    assert not list(direct.rglob("copymaps")), "a tape's throw-away staging copy left a copy map behind"
    again = bkctl("restore", "dump", "--target", "back", "--to-file", str(direct / "again.sql"))
    assert again.returncode == 0 and (direct / "again.sql").read_bytes() == dumped
    twice = bkctl("tape", "copy", "tape", dump["id"], "--to", "back")
    assert twice.returncode == 0 and "0 recovery point(s) copied" in twice.stdout


def test_status_verify_and_points_cover_tape_targets(bkctl: Runner, direct: Path) -> None:
    assert bkctl("apply", "--auto-approve", "--now", DAY0).returncode == 0
    rows = json.loads(bkctl("status", "--json", "--now", DAY0).stdout)["workloads"]
    assert {(r["workload"], r["target"], r["points"]) for r in rows} == {("docs", "tape", 1), ("dump", "tape", 1)}
    verified = bkctl("verify", "--target", "tape", "--read-data", "100")
    assert verified.returncode == 0 and "target tape: no problems" in verified.stdout


def test_incremental_points_restore_and_copy_back_through_the_cli(bkctl: Runner, direct: Path) -> None:
    """A full, then an incremental naming it as base; `restore` and `tape copy` read the chain."""
    incremental = DIRECT.replace("    pool: daily\n", "    pool: daily\n    format: incremental\n")
    (direct / "bkctl.yaml").write_text(incremental)
    (direct / "data" / "big.bin").write_bytes(random.Random(5).randbytes(3 << 20))
    assert bkctl("apply", "--auto-approve", "--now", DAY0).returncode == 0
    (direct / "data" / "a.txt").write_text("changed\n" * 1000)
    applied = bkctl("apply", "--auto-approve", "--now", DAY1)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    placed = json.loads(bkctl("tape", "status", "tape", "--json").stdout)["placements"]
    docs = sorted((p for p in placed if p["workload"] == "docs"), key=lambda p: p["time"])
    assert [p["base"] for p in docs] == [None, docs[0]["id"]]
    assert docs[1]["stored_bytes"] < docs[0]["stored_bytes"] / 10
    restored = bkctl("restore", "docs", "--target", "tape", "--to", str(direct / "out"))
    assert restored.returncode == 0, restored.stderr
    assert files_of(direct / "out" / str(direct / "data").lstrip("/")) == files_of(direct / "data")
    copied = bkctl("tape", "copy", "tape", docs[1]["id"], "--to", "back")
    assert copied.returncode == 0 and "1 recovery point(s) copied" in copied.stdout
    again = bkctl("restore", "docs", "--target", "back", "--to", str(direct / "again"))
    assert again.returncode == 0, again.stderr
    assert files_of(direct / "again" / str(direct / "data").lstrip("/")) == files_of(direct / "data")
