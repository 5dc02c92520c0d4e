"""``bkctl status``: recovery point objectives per workload and target; --check for monitoring."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from bkctl import operations
from bkctl.cli import console
from bkctl.cli.console import JSON_FORMAT_VERSION, err
from bkctl.cli.options import JsonOption, ManifestOption, NowOption, now_or
from bkctl.errors import ExitCode
from bkctl.model.plan import combined_exit_code
from bkctl.model.units import format_size
from bkctl.render.status_prometheus import render_prometheus
from bkctl.render.tables import Column, fitted_table
from bkctl.workspace import Workspace

if TYPE_CHECKING:  # annotations only: bkctl.operations loads its submodules on first use
    from bkctl.operations import StatusRow

__all__ = ["command", "prometheus_text"]


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    PROMETHEUS = "prometheus"


def _status_cell(row: StatusRow) -> Text:
    """A word or two (the full note is in --json, an unreadable target's cause on stderr)."""
    if row.compliant is None:
        return Text("unmanaged", style="dim")
    if row.compliant:
        return Text("compliant", style="green")
    if not row.reachable:
        return Text("unreachable", style="red")
    return Text("breached" if row.newest else row.note, style="red")


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = int(seconds // 60)
    return f"{minutes // 1440}d{minutes % 1440 // 60}h" if minutes >= 1440 else f"{minutes // 60}h{minutes % 60:02d}m"


def prometheus_text(rows: list[StatusRow]) -> str:
    """node-exporter textfile-collector format (see bkctl.render.status_prometheus)."""
    return render_prometheus(rows)


def command(
    manifest: ManifestOption = None,
    as_json: JsonOption = False,
    fmt: Annotated[
        Format, typer.Option("--format", help="text, json, or prometheus (node-exporter textfile).")
    ] = Format.TEXT,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write to this file (atomically).")] = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Exit 1 when any objective (RPO, or a drill's RTO) is breached (an unreadable target "
                        "always fails).")] = False,
    now: NowOption = None,
    all_hosts: Annotated[bool, typer.Option(
        "--all-hosts", help="Also list every host and workload the targets hold (central view).")] = False,
) -> None:
    """Newest good point, its age and the objective for every workload and target.

    Exits non-zero whenever a target could not be read, with or without --check, with
    that failure's code (65 wrong passphrase, 69 unreachable; 1 when they differ);
    --check adds 1 for a breached objective.
    """
    chosen = Format.JSON if as_json else fmt
    console.use_json(chosen != Format.TEXT and out_file is None)
    with Workspace.load(manifest) as workspace:
        rows = operations.status(workspace, now_or(now), all_hosts=all_hosts)
    if chosen == Format.TEXT and out_file is None:
        console.say(status_table(rows, all_hosts, console.report().width))
    else:
        text = prometheus_text(rows) if chosen == Format.PROMETHEUS else json.dumps(
            {"format_version": JSON_FORMAT_VERSION, "workloads": [r.as_dict() for r in rows]}, indent=2) + "\n"
        if out_file is None:
            sys.stdout.write(text)
        else:
            temporary = out_file.with_name(out_file.name + ".tmp")
            temporary.write_text(text)
            temporary.replace(out_file)
    managed = [r for r in rows if r.compliant is not None]
    console.summary(f"{sum(bool(r.compliant) for r in managed)} of {len(managed)} objectives met"
                    + (f", {len(rows) - len(managed)} unmanaged" if len(managed) < len(rows) else ""))
    raise typer.Exit(_exit_code(rows, check))


def status_table(rows: list[StatusRow], all_hosts: bool, width: int) -> Table:
    """Fitted to ``width``: drill, protection, size, points, objective and host are dropped
    first; times and statuses stay whole."""
    columns = [Column("workload"), Column("target"), Column("newest (UTC)", whole=True), Column("age", whole=True),
               Column("objective", drop=5), Column("points", justify="right", drop=4),
               Column("size", justify="right", drop=3), Column("status", whole=True)]
    if all_hosts:
        columns.insert(0, Column("host", drop=6))
    drills = any(r.drill_objective_seconds or r.drill_time for r in rows)
    protection = any(r.protection for r in rows)
    columns += [Column("drill (RTO)", drop=2)] if drills else []
    columns += [Column("protection", drop=1)] if protection else []
    cells = []
    for r in rows:
        cells.append([*((r.host,) if all_hosts else ()), r.workload, r.target,
                      r.newest.strftime("%Y-%m-%d %H:%M") if r.newest else "-", _age(r.age_seconds),
                      _age(r.objective_seconds), "?" if r.points is None else str(r.points),
                      "?" if r.bytes is None else format_size(r.bytes), _status_cell(r),
                      *([_drill_cell(r)] if drills else []), *([escape(r.protection)] if protection else [])])
    return fitted_table(columns, cells, width)


def _drill_cell(row: StatusRow) -> str:
    """``12.3s / 1h00m``: the newest drill's measured RTO against the objective, red when breached."""
    if row.drill_time is None:
        return "never" if row.drill_objective_seconds else "-"
    measured = "failed" if row.drill_ok is False else f"{row.drill_seconds:.2f}s"
    text = f"{measured} / {_age(row.drill_objective_seconds)}" if row.drill_objective_seconds else measured
    return f"[red]{text}[/]" if row.drill_breached else text


def _exit_code(rows: list[StatusRow], check: bool) -> int:
    """Unreadable targets fail always (and are named on stderr); breaches only with --check."""
    codes = []
    for target, code, note in sorted({(r.target, r.error_code, r.note) for r in rows if not r.reachable}):
        err.print(f"[bold red]Error:[/] target '{escape(target)}' could not be read: "
                  f"{escape(note.removeprefix('unreachable: '))}")
        codes.append(code)
    if check:
        codes += [ExitCode.ERROR for r in rows if r.reachable and r.compliant is False]
        codes += [ExitCode.ERROR for r in rows if r.reachable and r.drill_breached]
    return combined_exit_code(codes)
