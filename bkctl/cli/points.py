"""``bkctl points``: list recovery points per target."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from bkctl import operations
from bkctl.cli.console import out
from bkctl.cli.options import ManifestOption
from bkctl.model.units import format_size
from bkctl.workspace import Workspace

__all__ = ["command"]


def command(
    workload: Annotated[str | None, typer.Option("--workload", help="Only this workload.")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Only this target.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    manifest: ManifestOption = None,
) -> None:
    """List recovery points, oldest first."""
    with Workspace.load(manifest) as workspace:
        if workload:
            workspace.check_workload(workload)
        rows = operations.list_points(workspace, workload=workload, target=target)
    if as_json:
        sys.stdout.write(json.dumps([r.as_dict() for r in rows], indent=2) + "\n")
        return
    # logical: what the point restores; added: what it stored that the target lacked (compressed)
    table = Table("id", "time (UTC)", "workload", "host", "target", "logical", "added", "state")
    for r in rows:
        point = r.point
        table.add_row(point.id[:12], point.time.strftime("%Y-%m-%d %H:%M:%S"), point.workload, point.host, r.target,
                      format_size(point.bytes), format_size(point.stored_bytes),
                      "partial" if point.partial else "complete")
    out.print(table)
    out.print(f"{len(rows)} recovery point{'s' if len(rows) != 1 else ''}")
