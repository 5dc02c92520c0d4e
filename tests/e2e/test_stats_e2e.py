"""Storage figures through the CLI: each named as what it is, and true (issue 10)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from cli import Runner


def disk_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def test_stats_report_what_the_disk_holds_and_what_the_points_add_up_to(bkctl: Runner, project: Path) -> None:
    (project / "data" / "text.txt").write_text("the same line again\n" * 50_000)  # compresses well
    assert bkctl("backup", "docs").returncode == 0
    assert bkctl("backup", "docs").returncode == 0  # the same data again: dedup 2x
    listed = json.loads(bkctl("points", "--json").stdout)["points"]
    first, second = listed
    assert first["bytes"] == second["bytes"] > 1_000_000
    assert first["new_bytes"] == first["bytes"] and 0 < first["stored_bytes"] < first["new_bytes"] // 10
    assert second["new_bytes"] == second["stored_bytes"] == 0  # nothing new the second time
    result = bkctl("stats", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["format_version"] == 1
    (local,) = document["targets"]
    storage = local["storage"]
    assert storage["stored_bytes"] == disk_bytes(project / "repo")
    assert storage["pack_bytes"] == disk_bytes(project / "repo" / "data")
    assert local["logical_bytes"] == first["bytes"] + second["bytes"] and local["points"] == 2
    assert storage["data_bytes"] == first["bytes"] and local["dedup_ratio"] == 2.0
    assert local["compression_ratio"] > 10
    (docs,) = local["workloads"]
    assert (docs["workload"], docs["points"], docs["added_bytes"]) == ("docs", 2, first["stored_bytes"])
    text = bkctl("stats")
    assert "dedup 2.00x" in text.stdout and "stored" in text.stdout and "logical" in text.stdout
    assert text.stdout.rstrip().splitlines()[-1].startswith("1 of 1 target read:")
    table = bkctl("points").stdout
    assert "logical" in table and "added" in table


def test_stats_of_an_empty_target_and_a_wrong_passphrase(bkctl: Runner, project: Path) -> None:
    empty = bkctl("stats", "--json")
    assert empty.returncode == 0 and json.loads(empty.stdout)["targets"][0]["initialized"] is False
    (project / "data" / "x.bin").write_bytes(os.urandom(1000))
    assert bkctl("backup", "docs").returncode == 0
    wrong = bkctl("stats", extra_env={"BKCTL_PASSPHRASE": "wrong"})
    assert wrong.returncode == 65 and "could not be read" in wrong.stderr
