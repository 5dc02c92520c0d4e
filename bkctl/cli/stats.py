"""``bkctl stats``: what each target really stores, and what its points add up to.

Every figure says what it is: *stored* bytes are the store's own object sizes (the
disk or the bill), *logical* bytes what restoring every point would write, *unique
data* the distinct data the points use before compression, *added* what each point
brought that the target lacked. Dedup ratio = logical / unique data; compression ratio =
unique data / its stored size. A target that cannot be read is named with its error
and makes the exit code that error's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from bkctl import operations
from bkctl.cli.console import err, out
from bkctl.cli.listing import print_json
from bkctl.cli.options import ManifestOption
from bkctl.model.plan import combined_exit_code
from bkctl.model.units import format_size
from bkctl.workspace import Workspace

if TYPE_CHECKING:  # annotations only: bkctl.operations loads its submodules on first use
    from bkctl.operations import TargetStats

__all__ = ["command"]


def command(
    target: Annotated[list[str] | None, typer.Option("--target", help="Only this target (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    manifest: ManifestOption = None,
) -> None:
    """Storage figures per target: stored size, logical size, dedup and compression, per workload."""
    with Workspace.load(manifest) as workspace:
        rows = operations.storage_stats(workspace, target)
    if as_json:
        print_json({"format_version": operations.FORMAT_VERSION, "targets": [r.as_dict() for r in rows]})
    else:
        for row in rows:
            _show(row)
        out.print(_summary(rows), markup=False)
    code = combined_exit_code(r.error_code for r in rows)
    if code:
        raise typer.Exit(code)


def _show(row: TargetStats) -> None:
    if row.error:
        err.print(f"[bold red]Error:[/] target '{escape(row.target)}' could not be read: {escape(row.error)}")
        return
    if not row.initialized:
        out.print(f"target {row.target}: not initialised (no repository yet)", markup=False)
        return
    damaged = f", {row.damaged_points} damaged" if row.damaged_points else ""
    out.print(f"target {row.target}: {row.points} recovery points{damaged}", markup=False)
    figures = row.figures
    if row.figures_withheld:
        out.print("  stored        unknown: this key's role cannot read the points' trees "
                  "(run stats with a manager or owner key)", markup=False)
    if figures is not None:
        out.print(f"  stored        {format_size(figures.stored_bytes)} in {figures.objects} objects "
                  f"({format_size(figures.pack_bytes)} in {figures.packs} packs)", markup=False)
    out.print(f"  logical       {format_size(row.logical_bytes)} (restoring every point writes this)", markup=False)
    if figures is not None:
        out.print(f"  unique data   {format_size(figures.data_bytes)}, stored as "
                  f"{format_size(figures.data_stored_bytes)}: dedup {_ratio(row.dedup_ratio)}, "
                  f"compression {_ratio(row.compression_ratio)}", markup=False)
        out.print(f"  reclaimable   {format_size(figures.unreferenced_bytes)} unreferenced, "
                  f"{format_size(figures.marked_bytes)} marked (`bkctl reclaim` frees them)", markup=False)
    if row.workloads:
        out.print(_workload_table(row))


def _workload_table(row: TargetStats) -> Table:
    table = Table("workload", "host", "points", "logical", "added", "newest (UTC)", box=None, padding=(0, 1, 0, 2))
    for totals in row.workloads:
        newest = totals.newest.strftime("%Y-%m-%d %H:%M") if totals.newest else "-"
        table.add_row(escape(totals.workload), escape(totals.host), str(totals.points),
                      format_size(totals.logical_bytes), format_size(totals.added_bytes), newest)
    return table


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _summary(rows: list[TargetStats]) -> str:
    readable = [r for r in rows if not r.error and r.initialized]
    stored = sum(r.figures.stored_bytes for r in readable if r.figures)
    unknown = " (+ unknown)" if any(r.figures_withheld for r in readable) else ""
    points = sum(r.points for r in readable)
    return (f"{len(readable)} of {len(rows)} target{'' if len(rows) == 1 else 's'} read: "
            f"{format_size(stored)}{unknown} stored for {format_size(sum(r.logical_bytes for r in readable))} logical "
            f"in {points} recovery point{'' if points == 1 else 's'}")
