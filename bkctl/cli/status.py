"""``bkctl status``: recovery point objectives per workload and target; --check for monitoring."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bkctl import operations
from bkctl.cli.console import out
from bkctl.cli.options import ManifestOption, NowOption, now_or
from bkctl.model.units import format_size
from bkctl.operations import StatusRow
from bkctl.workspace import Workspace

__all__ = ["command", "prometheus_text"]


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    PROMETHEUS = "prometheus"


def _status_cell(row: StatusRow) -> str:
    if row.compliant is None:
        return "[dim]unmanaged[/]"
    return "[green]compliant[/]" if row.compliant else f"[red]{row.note}[/]"


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = int(seconds // 60)
    return f"{minutes // 1440}d{minutes % 1440 // 60}h" if minutes >= 1440 else f"{minutes // 60}h{minutes % 60:02d}m"


_MANAGED_ONLY = ("bkctl_rpo_seconds", "bkctl_compliant")


def prometheus_text(rows: list[StatusRow]) -> str:
    """node-exporter textfile-collector format."""
    lines = [
        "# HELP bkctl_last_success_timestamp_seconds Time of the newest complete recovery point.",
        "# TYPE bkctl_last_success_timestamp_seconds gauge",
    ]
    metrics = {
        "bkctl_last_success_timestamp_seconds": lambda r: r.newest.timestamp() if r.newest else 0,
        "bkctl_recovery_points": lambda r: r.points,
        "bkctl_stored_bytes": lambda r: r.bytes,
        "bkctl_rpo_seconds": lambda r: r.objective_seconds,
        "bkctl_compliant": lambda r: int(r.compliant),
    }
    for name, value in metrics.items():
        if name != "bkctl_last_success_timestamp_seconds":
            lines += [f"# HELP {name} bkctl {name[6:].replace('_', ' ')}.", f"# TYPE {name} gauge"]
        for r in rows:
            if r.compliant is None and name in _MANAGED_ONLY:
                continue  # other hosts' workloads have no objective here
            lines.append(f'{name}{{workload="{r.workload}",target="{r.target}",host="{r.host}"}} {value(r):g}')
    return "\n".join(lines) + "\n"


def command(
    manifest: ManifestOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    fmt: Annotated[
        Format, typer.Option("--format", help="text, json, or prometheus (node-exporter textfile).")
    ] = Format.TEXT,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write to this file (atomically).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when any objective is breached.")] = False,
    now: NowOption = None,
    all_hosts: Annotated[bool, typer.Option(
        "--all-hosts", help="Also list every host and workload the targets hold (central view).")] = False,
) -> None:
    """Newest good point, its age and the objective for every workload and target."""
    with Workspace.load(manifest) as workspace:
        rows = operations.status(workspace, now_or(now), all_hosts=all_hosts)
    chosen = Format.JSON if as_json else fmt
    if chosen == Format.TEXT and out_file is None:
        columns = ("host", "workload") if all_hosts else ("workload",)
        table = Table(*columns, "target", "newest (UTC)", "age", "objective", "points", "size", "status")
        for r in rows:
            names = (r.host, r.workload) if all_hosts else (r.workload,)
            table.add_row(*names, r.target, r.newest.strftime("%Y-%m-%d %H:%M") if r.newest else "-",
                          _age(r.age_seconds), _age(r.objective_seconds), str(r.points), format_size(r.bytes),
                          _status_cell(r))
        out.print(table)
    else:
        text = prometheus_text(rows) if chosen == Format.PROMETHEUS else json.dumps(
            [r.as_dict() for r in rows], indent=2) + "\n"
        if out_file is None:
            sys.stdout.write(text)
        else:
            temporary = out_file.with_name(out_file.name + ".tmp")
            temporary.write_text(text)
            temporary.replace(out_file)
    if check and any(r.compliant is False for r in rows):
        raise typer.Exit(1)
