"""The Prometheus textfile parses with prometheus_client and says exactly what `status --json` says."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from cli import Runner
from prometheus_client.parser import text_string_to_metric_families

TWO_WORKLOADS = """\
  never:
    type: files
    paths: [data]
    policy: every-8h
    targets: [local]
"""


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        assert family.type == "gauge" and family.documentation
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_the_textfile_matches_the_json_status_to_the_second(bkctl: Runner, project: Path) -> None:
    assert bkctl("backup", "docs").returncode == 0
    manifest = project / "bkctl.yaml"
    manifest.write_text(manifest.read_text() + TWO_WORKLOADS)
    assert bkctl("status", "--format", "prometheus", "--out", "bkctl.prom").returncode == 0
    rows = json.loads(bkctl("status", "--json").stdout)["workloads"]
    metrics = samples((project / "bkctl.prom").read_text())
    for row in rows:
        labels = tuple(sorted({"workload": row["workload"], "target": row["target"], "host": row["host"]}.items()))
        newest = metrics.get(("bkctl_last_success_timestamp_seconds", labels))
        if row["newest"] is None:
            assert newest is None  # never backed up: no time rather than 1970
        else:
            # exact, microseconds included (both sides are the correctly rounded float)
            assert newest == datetime.fromisoformat(row["newest"]).timestamp()
        assert metrics[("bkctl_recovery_points", labels)] == row["points"]
        assert metrics[("bkctl_logical_size_bytes", labels)] == row["bytes"]
        assert metrics[("bkctl_rpo_seconds", labels)] == row["objective_seconds"]
        assert metrics[("bkctl_compliant", labels)] == int(row["compliant"])
    assert metrics[("bkctl_target_up", (("target", "local"),))] == 1
    assert {row["workload"]: row["points"] for row in rows} == {"docs": 1, "never": 0}


def test_an_unreadable_target_is_down_with_no_made_up_numbers(bkctl: Runner, project: Path) -> None:
    assert bkctl("backup", "docs").returncode == 0
    written = bkctl("status", "--format", "prometheus", "--out", "bkctl.prom",
                    extra_env={"BKCTL_PASSPHRASE": "wrong"})
    assert written.returncode == 65
    metrics = samples((project / "bkctl.prom").read_text())
    assert metrics[("bkctl_target_up", (("target", "local"),))] == 0
    assert {name for name, _ in metrics} == {"bkctl_target_up", "bkctl_rpo_seconds", "bkctl_compliant"}
    assert [value for (name, _), value in metrics.items() if name == "bkctl_compliant"] == [0]
