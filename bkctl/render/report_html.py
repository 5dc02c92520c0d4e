"""The report as one self-contained HTML page: inline CSS and SVG, no script, no external asset.

Readable offline and attachable to a CI run. The charts' geometry is computed here
(plain numbers, rounded to 0.1 px so output is stable) and drawn by the template
(templates/report.html.j2); each timeline mark carries a ``<title>`` that names the
retention rules keeping it, shown on hover, and its colour follows the legend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bkctl.model.report import Report, StorageSeries, Timeline
from bkctl.model.units import format_size
from bkctl.render.report_words import RULE_CLASSES, duration, money, rule_class, timestamp

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = ["render_report_html", "TIMELINE_WIDTH", "CHART_WIDTH"]

TIMELINE_WIDTH = 640.0
TIMELINE_ROW = 26.0
CHART_WIDTH = 320.0
CHART_HEIGHT = 110.0


@dataclass(frozen=True)
class Mark:
    x: float
    css: str
    title: str


@dataclass(frozen=True)
class Lane:
    label: str
    y: float
    marks: tuple[Mark, ...]


@dataclass(frozen=True)
class Chart:
    target: str
    stored: str  # SVG polyline points
    logical: str
    stored_last: int
    logical_last: int
    start: str
    end: str


def _x(moment: datetime, start: datetime, end: datetime, width: float) -> float:
    span = (end - start).total_seconds() or 1.0
    return round((moment - start).total_seconds() / span * width, 1)


def _lanes(timelines: tuple[Timeline, ...], start: datetime, end: datetime) -> list[Lane]:
    lanes = []
    for number, timeline in enumerate(timelines):
        marks = tuple(Mark(_x(m.time, start, end, TIMELINE_WIDTH),
                           "partial" if m.partial else rule_class(m.kept_by),
                           f"{m.id[:12]} {timestamp(m.time)}: "
                           + (f"kept by {', '.join(m.kept_by)}" if m.kept_by else "no rule keeps it (pruned next)"))
                      for m in timeline.marks)
        lanes.append(Lane(f"{timeline.workload} @ {timeline.target}", round(number * TIMELINE_ROW + 13, 1), marks))
    return lanes


def _chart(series: StorageSeries, end: datetime) -> Chart | None:
    if not series.samples:
        return None
    start = series.samples[0].time
    top = max(series.samples[-1].logical_bytes, series.samples[-1].stored_bytes, 1)

    def line(values: list[tuple[datetime, int]]) -> str:
        shown = [*values, (end, values[-1][1])]
        return " ".join(f"{_x(t, start, end, CHART_WIDTH)},{round(CHART_HEIGHT - v / top * CHART_HEIGHT, 1)}"
                        for t, v in shown)

    return Chart(series.target, line([(s.time, s.stored_bytes) for s in series.samples]),
                 line([(s.time, s.logical_bytes) for s in series.samples]),
                 series.samples[-1].stored_bytes, series.samples[-1].logical_bytes, timestamp(start), timestamp(end))


def _environment() -> Environment:
    # jinja2 loads only for the views that use it, not at every start-up
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(loader=PackageLoader("bkctl.render", "templates"), undefined=StrictUndefined,
                              autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)
    environment.filters.update(size=format_size, duration=duration, time=timestamp, money=money)
    return environment


def render_report_html(report: Report) -> str:
    times = [m.time for t in report.timelines for m in t.marks]
    start = min(times, default=report.now)
    charts = [c for s in report.storage if (c := _chart(s, report.now)) is not None]
    return _environment().get_template("report.html.j2").render(
        report=report, lanes=_lanes(report.timelines, start, report.now), start=timestamp(start),
        end=timestamp(report.now), width=TIMELINE_WIDTH, height=round(len(report.timelines) * TIMELINE_ROW, 1),
        charts=charts, chart_width=CHART_WIDTH, chart_height=CHART_HEIGHT, classes=RULE_CLASSES)
