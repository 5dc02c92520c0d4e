"""A plan as Markdown for a pull-request comment or a GitHub job summary (jinja2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bkctl.model.plan import Plan
from bkctl.model.units import format_size
from bkctl.render.symbols import SYMBOLS

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = ["render_markdown"]


def _cell(value: object) -> str:
    """Keep a value inside one table cell: pipes escaped, newlines flattened."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _environment() -> Environment:
    # jinja2 loads only for the views that use it, not at every start-up
    from jinja2 import Environment, PackageLoader, StrictUndefined

    environment = Environment(
        loader=PackageLoader("bkctl.render", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # Markdown, not HTML; cells are escaped by the 'cell' filter
    )
    environment.filters["cell"] = _cell
    environment.filters["size"] = format_size
    return environment


POINTS_SHOWN = 100
"""Pruned points listed per action: a fleet's plan prunes hundreds of thousands, and a GitHub
job summary holds 1 MiB; the JSON plan names every one."""


def render_markdown(plan: Plan) -> str:
    text = _environment().get_template("plan.md.j2").render(plan=plan, symbols=SYMBOLS, points_shown=POINTS_SHOWN)
    collapsed: list[str] = []
    for line in text.splitlines():  # optional sections leave runs of blank lines
        if line.strip() or (collapsed and collapsed[-1].strip()):
            collapsed.append(line.rstrip())
    return "\n".join(collapsed).strip() + "\n"
