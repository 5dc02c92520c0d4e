"""The Prometheus textfile view: exposition-format details a scraper trips over."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client.parser import text_string_to_metric_families

from bkctl.render.status_prometheus import render_prometheus


@dataclass(frozen=True)
class Row:
    workload: str = "docs"
    target: str = "local"
    host: str = "web-01"
    newest: datetime | None = datetime(2026, 11, 24, 11, 59, 58, 123456, tzinfo=UTC)
    objective_seconds: float | None = 28800.0
    points: int | None = 123456789
    bytes: int | None = 1234567890123
    compliant: bool | None = True
    reachable: bool = True
    drill_seconds: float | None = None
    drill_time: datetime | None = None


def test_integers_and_times_are_written_exactly_never_rounded() -> None:
    text = render_prometheus([Row()])
    assert 'bkctl_last_success_timestamp_seconds{workload="docs",target="local",host="web-01"} 1795521598.123456' \
        in text
    assert "bkctl_recovery_points{" in text and "} 123456789\n" in text
    assert "} 1234567890123\n" in text and "} 28800\n" in text
    assert "e+" not in text


def test_each_family_has_help_and_type_once_before_its_samples() -> None:
    lines = render_prometheus([Row(), Row(workload="www")]).splitlines()
    names = [line.split()[2] for line in lines if line.startswith("# HELP")]
    assert len(names) == len(set(names))
    for name in names:
        at = lines.index(next(line for line in lines if line.startswith(f"# HELP {name} ")))
        assert lines[at + 1] == f"# TYPE {name} gauge"
        owned = [n for n, line in enumerate(lines) if line.startswith(name + "{")]
        assert owned == list(range(at + 2, at + 2 + len(owned)))  # together, right after the header


def test_label_values_are_escaped_and_parse_back() -> None:
    odd = 'we"ird\\name\nx'
    text = render_prometheus([Row(workload=odd)])
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert families["bkctl_recovery_points"].samples[0].labels["workload"] == odd


def test_unknown_values_are_left_out_not_written_as_zero() -> None:
    down = Row(newest=None, points=None, bytes=None, compliant=False, reachable=False)
    never = Row(workload="never", target="other", newest=None, points=0, bytes=0, compliant=False)
    families = {f.name: f.samples for f in text_string_to_metric_families(render_prometheus([down, never]))}
    assert [s.labels["workload"] for s in families["bkctl_recovery_points"]] == ["never"]
    assert families["bkctl_last_success_timestamp_seconds"] == []
    assert {s.labels["target"]: s.value for s in families["bkctl_target_up"]} == {"local": 0, "other": 1}
    assert [s.value for s in families["bkctl_compliant"]] == [0, 0]


def test_workloads_of_other_manifests_have_no_objective() -> None:
    families = {f.name: f.samples for f in text_string_to_metric_families(render_prometheus([Row(compliant=None)]))}
    assert families["bkctl_rpo_seconds"] == [] and families["bkctl_compliant"] == []
    assert len(families["bkctl_recovery_points"]) == 1


def test_drill_families_carry_the_measured_rto_and_its_time_and_are_absent_without_a_drill() -> None:
    drilled = Row(workload="db", drill_seconds=12.5, drill_time=datetime(2026, 11, 24, 3, 0, 0, 250000, tzinfo=UTC))
    text = render_prometheus([drilled, Row()])
    assert 'bkctl_drill_seconds{workload="db",target="local",host="web-01"} 12.5\n' in text
    assert 'bkctl_drill_timestamp_seconds{workload="db",target="local",host="web-01"} 1795489200.25\n' in text
    assert 'bkctl_drill_seconds{workload="docs"' not in text
