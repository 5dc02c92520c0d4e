"""The report as Markdown: a GitHub job summary or a pull-request comment (no charts)."""

from __future__ import annotations

from bkctl.model.report import Report
from bkctl.model.units import format_size
from bkctl.render.report_words import duration, money, timestamp

__all__ = ["render_report_markdown", "render_report_json"]


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_report_markdown(report: Report) -> str:
    # jinja2 loads only for the views that use it, not at every start-up
    from jinja2 import Environment, PackageLoader, StrictUndefined

    environment = Environment(loader=PackageLoader("bkctl.render", "templates"), undefined=StrictUndefined,
                              keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, autoescape=False)
    environment.filters.update(cell=_cell, size=format_size, duration=duration, time=timestamp, money=money)
    text = environment.get_template("report.md.j2").render(report=report)
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip() or (lines and lines[-1].strip()):
            lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"


def render_report_json(report: Report) -> str:
    """The canonical form: every number the other views show, versioned (``format_version``)."""
    return report.model_dump_json(indent=2) + "\n"
