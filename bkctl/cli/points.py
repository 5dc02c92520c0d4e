"""``bkctl points``: list recovery points per target.

Ids are shown short (8 hex digits, as restic's), and ``--point`` of restore and the other
commands takes any unique prefix, so what the table shows is what the user types.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from bkctl import operations
from bkctl.cli import console
from bkctl.cli.options import JsonOption, ManifestOption
from bkctl.model.units import format_size
from bkctl.render.tables import Column, fitted_table, short_id_length
from bkctl.workspace import Workspace

__all__ = ["command", "points_table"]

COLUMNS = (Column("id", whole=True), Column("time (UTC)", whole=True), Column("workload"),
           Column("host", drop=2), Column("target", drop=3), Column("logical", justify="right", drop=4),
           Column("added", justify="right", drop=1), Column("state", whole=True))


def command(
    workload: Annotated[str | None, typer.Option("--workload", help="Only this workload.")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Only this target.")] = None,
    as_json: JsonOption = False,
    manifest: ManifestOption = None,
) -> None:
    """List recovery points, oldest first."""
    console.use_json(as_json)
    with Workspace.load(manifest) as workspace:
        if workload:
            workspace.check_workload(workload)
        rows = operations.list_points(workspace, workload=workload, target=target)
    if as_json:
        console.emit_json({"points": [r.as_dict() for r in rows]})
    else:
        console.say(points_table(rows, console.report().width))
    console.summary(f"{len(rows)} recovery point{'s' if len(rows) != 1 else ''}")


def points_table(rows: list[operations.PointRow], width: int) -> Table:
    """The table, fitted to ``width`` (stored size, then host, target and size go first)."""
    length = short_id_length(r.point.id for r in rows)
    cells = [[r.point.id[:length], r.point.time.strftime("%Y-%m-%d %H:%M:%S"), r.point.workload, r.point.host,
              r.target, format_size(r.point.bytes), format_size(r.point.stored_bytes),
              "partial" if r.point.partial else "complete"] for r in rows]
    return fitted_table(COLUMNS, cells, width)
