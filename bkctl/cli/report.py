"""``bkctl report``: the estate at a glance, as one self-contained HTML page, Markdown or JSON.

Works from any machine with the manifest and the passphrases: history comes from the run
records the targets hold. Exits with the failure's code when a target could not be read
(the report is still written, naming it), else 0.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bkctl import operations
from bkctl.cli.console import err
from bkctl.cli.options import ManifestOption, NowOption, now_or
from bkctl.model.plan import combined_exit_code
from bkctl.render.report_html import render_report_html
from bkctl.render.report_markdown import render_report_json, render_report_markdown
from bkctl.workspace import Workspace

__all__ = ["command"]


class Format(StrEnum):
    HTML = "html"
    MARKDOWN = "markdown"
    JSON = "json"


_RENDER = {Format.HTML: render_report_html, Format.MARKDOWN: render_report_markdown, Format.JSON: render_report_json}


def command(
    manifest: ManifestOption = None,
    fmt: Annotated[Format, typer.Option("--format", help="html (one self-contained page), markdown (a GitHub job "
                                                          "summary) or json.")] = Format.HTML,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write to this file (atomically).")] = None,
    now: NowOption = None,
) -> None:
    """Summary, RPO and RTO per workload and target, timelines, storage, failures and the pending plan."""
    with Workspace.load(manifest) as workspace:
        result = operations.report(workspace, now_or(now))
    text = _RENDER[fmt](result)
    if out_file is None:
        sys.stdout.write(text)
    else:
        temporary = out_file.with_name(out_file.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(out_file)
    for error in result.plan.errors:
        err.print(f"Error: {error.message}", markup=False, highlight=False)
    raise typer.Exit(combined_exit_code(error.exit_code for error in result.plan.errors))
