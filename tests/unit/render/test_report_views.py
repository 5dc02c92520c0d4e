"""Golden files pin the report's HTML, Markdown and JSON; the HTML is self-contained.

Set BKCTL_UPDATE_GOLDEN=1 to rewrite them after an intended change, then review the diff.
"""

import json
import os
import re
from pathlib import Path

import pytest
from report_fixture import NOW, sample_report

from bkctl.model.report import Report
from bkctl.render.report_html import render_report_html
from bkctl.render.report_markdown import render_report_json, render_report_markdown

GOLDEN = Path(__file__).parent / "golden"


def check(name: str, rendered: str) -> None:
    path = GOLDEN / name
    if os.environ.get("BKCTL_UPDATE_GOLDEN"):
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "view"), [("report.html", render_report_html), ("report.md", render_report_markdown),
                                            ("report.json", render_report_json)])
def test_each_view_of_the_sample_estate_matches_its_golden_file(name, view) -> None:
    check(name, view(sample_report()))


def test_the_same_estate_renders_byte_for_byte_the_same_page() -> None:
    assert render_report_html(sample_report()) == render_report_html(sample_report())


def test_the_page_loads_nothing_from_outside_and_runs_no_script() -> None:
    page = render_report_html(sample_report())
    assert "<script" not in page
    assert not re.search(r'(src|href)=', page)
    assert "@import" not in page and "url(" not in page


def test_the_only_time_in_the_page_that_is_not_data_is_the_reports_own() -> None:
    page = render_report_html(sample_report())
    assert NOW.strftime("%Y-%m-%d %H:%M UTC") in page
    assert "2026-11-25" not in page  # nothing after 'now', no clock read while rendering


def test_the_summary_counts_what_the_rows_say() -> None:
    report = sample_report()
    assert report.summary.unreachable_targets == ("archive",)
    assert report.summary.drills_breached == 1  # app: 412 s against 5 min
    statuses = {(r.workload, r.target): r.status for r in report.rows}
    assert statuses[("app", "archive")] == "unreachable"
    assert statuses[("docs", "offsite")] == "compliant"


def test_timeline_marks_name_the_rules_that_keep_each_point() -> None:
    page = render_report_html(sample_report())
    assert re.search(r'<circle class="k-monthly"[^>]*><title>do0000[^<]*kept by [^<]*monthly 2026-09', page)
    assert "k-prune" in page  # the docs points no rule keeps any more


def test_json_round_trips_to_the_same_report() -> None:
    text = render_report_json(sample_report())
    assert Report.model_validate(json.loads(text)) == sample_report()
    costs = {cost["target"]: cost for cost in json.loads(text)["plan"]["costs"]}
    assert costs["offsite"]["currency"] == "USD" and costs["offsite"]["monthly_cost_after"] > 0


def test_markdown_tables_keep_pipes_inside_cells() -> None:
    report = sample_report()
    failing = report.failures[0].model_copy(update={"message": "a | b"})
    text = render_report_markdown(report.model_copy(update={"failures": (failing,)}))
    assert "a \\| b" in text
