"""``bkctl forget``: named points deleted with prune's safety rails, data left to reclaim (issue 10)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli import Runner
from conftest import MANIFEST

REPLICATED = MANIFEST.replace("    path: repo\n", "    path: repo\n    replica: copy\n  copy:\n    type: disk\n"
                              "    path: repo-copy\n")


def points(bkctl: Runner, *args: str) -> list[dict[str, object]]:
    return json.loads(bkctl("points", "--json", *args).stdout)["points"]


@pytest.fixture
def three(bkctl: Runner, project: Path) -> list[str]:
    for number in range(3):
        (project / "data" / f"file{number}.txt").write_text(f"version {number}\n" * 1000)
        assert bkctl("backup", "docs").returncode == 0
    return [str(p["id"]) for p in points(bkctl)]


def test_forget_deletes_the_named_points_and_leaves_data_to_reclaim(bkctl: Runner, three: list[str]) -> None:
    refused = bkctl("forget", three[0][:8])  # no terminal to confirm on, no --yes
    assert refused.returncode == 64 and "--yes" in refused.stderr and three[0][:8] in refused.stderr
    assert len(points(bkctl)) == 3
    done = bkctl("forget", three[0][:8], three[1], "--yes", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["format_version"] == 1
    assert sorted(p["id"] for p in document["deleted"]) == sorted(three[:2])
    assert [p["id"] for p in points(bkctl)] == [three[2]]
    stats = json.loads(bkctl("stats", "--json").stdout)["targets"][0]["storage"]
    assert stats["unreferenced_bytes"] > 0 and stats["marked_bytes"] == 0  # nothing deleted yet
    reclaim = bkctl("reclaim")
    assert reclaim.returncode == 0 and "marked for a later reclaim" in reclaim.stdout
    assert bkctl("restore", "docs", "--to", "out").returncode == 0


def test_forget_keeps_the_last_complete_point_unless_allowed(bkctl: Runner, project: Path) -> None:
    assert bkctl("backup", "docs").returncode == 0
    (only,) = [str(p["id"]) for p in points(bkctl)]
    refused = bkctl("forget", only, "--yes")
    assert refused.returncode == 64 and "--allow-last" in refused.stderr and "nothing was deleted" in refused.stderr
    assert bkctl("forget", only, "--yes", "--allow-last").returncode == 0
    assert points(bkctl) == []


def test_forget_obeys_the_mass_prune_guard(bkctl: Runner, project: Path, three: list[str]) -> None:
    manifest = project / "bkctl.yaml"
    manifest.write_text("settings: {max_prune_per_apply: 1}\n" + manifest.read_text())
    refused = bkctl("forget", *three[:2], "--yes")
    assert refused.returncode == 64 and "max_prune_per_apply (1)" in refused.stderr
    unknown = bkctl("forget", three[0], "0000000000", "--yes", "--allow-mass-prune")
    assert unknown.returncode == 66 and "0000000000" in unknown.stderr
    assert len(points(bkctl)) == 3
    assert bkctl("forget", *three[:2], "--yes", "--allow-mass-prune").returncode == 0
    assert len(points(bkctl)) == 1


def test_a_damaged_point_is_forgotten_by_its_id(bkctl: Runner, project: Path) -> None:
    assert bkctl("backup", "docs").returncode == 0
    (damaged,) = [str(p["id"]) for p in points(bkctl)]
    document = project / "repo" / "points" / damaged
    raw = bytearray(document.read_bytes())
    raw[-1] ^= 1
    document.write_bytes(bytes(raw))
    shutil.rmtree(project / "cache")  # no intact copy on this machine
    done = bkctl("forget", damaged[:10], "--yes")
    assert done.returncode == 0, done.stderr
    assert "damaged document" in done.stderr and not document.exists()
    assert bkctl("verify").returncode == 0


def test_a_point_is_forgotten_in_its_replica_too_unless_a_target_is_named(bkctl: Runner, project: Path) -> None:
    (project / "bkctl.yaml").write_text(REPLICATED)
    assert bkctl("apply", "--auto-approve").returncode == 0
    assert bkctl("backup", "docs").returncode == 0
    assert bkctl("apply", "--auto-approve").returncode == 0  # copies the second point
    first, second = dict.fromkeys(str(p["id"]) for p in points(bkctl))  # oldest first
    assert bkctl("forget", first, "--yes", "--target", "copy").returncode == 0
    assert sorted((p["target"], p["id"]) for p in points(bkctl) if p["id"] == first) == [("local", first)]
    refused = bkctl("forget", second, "--yes")  # the copy's only point
    assert refused.returncode == 64 and "in target 'copy' would keep no complete" in refused.stderr
    assert bkctl("forget", second, "--yes", "--allow-last").returncode == 0
    assert [(p["target"], p["id"]) for p in points(bkctl)] == [("local", first)]
