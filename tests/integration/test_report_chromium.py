"""The report page in a real browser: headless Chromium renders it without console errors."""

from __future__ import annotations

import sys
from pathlib import Path

from chromium import render_page

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "render"))
from report_fixture import sample_report

from bkctl.render.report_html import render_report_html

PNG = b"\x89PNG\r\n\x1a\n"


def test_the_console_check_sees_errors_when_a_page_has_them(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text('<p>x</p><script>console.error("drill-broke"); missing();</script>')
    rendered = render_page(page, tmp_path / "bad.png")
    assert any("drill-broke" in line for line in rendered.console)
    assert any("missing is not defined" in line for line in rendered.console)


def test_the_sample_report_renders_with_no_console_errors_and_its_numbers_in_the_dom(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_report_html(sample_report()), encoding="utf-8")
    rendered = render_page(page, tmp_path / "report.png")
    assert rendered.console == []
    assert '<b id="summary-workloads">2</b>' in rendered.dom
    assert 'id="summary-unreachable" class="bad">1</b>' in rendered.dom
    assert 'id="summary-drills" class="bad">1</b>' in rendered.dom
    assert "6m" in rendered.dom and "31.5s" in rendered.dom  # measured RTOs: app (breached), docs
    assert rendered.dom.count("<circle") == 20 + 6 + 20  # every point of every timeline is a mark
    image = rendered.screenshot.read_bytes()
    assert image.startswith(PNG) and len(image) > 50_000
