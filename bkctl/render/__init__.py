"""Views of a plan (terminal, Markdown, JSON); they read a Plan and nothing else."""

from bkctl.render.plan_json import render_json
from bkctl.render.plan_markdown import render_markdown
from bkctl.render.plan_text import render_text
from bkctl.render.symbols import SYMBOLS

__all__ = ["SYMBOLS", "render_json", "render_markdown", "render_text"]
