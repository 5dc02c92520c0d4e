"""A plan on a terminal: one rich table of actions, pruned points, warnings, summary."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bkctl.model.plan import Action, ActionKind, Plan, PrunedPoint
from bkctl.model.pricing import TargetCost
from bkctl.model.units import format_size
from bkctl.render.symbols import SYMBOLS

__all__ = ["render_text", "lock_fate"]

_STYLES = {"+": "green", "-": "red", "~": "cyan", "*": "bold green", "!": "yellow", "R": "magenta", "D": "blue",
           "L": "green", "<": "cyan", "%": "magenta", ">": "cyan",
           "^": "blue", "K": "magenta"}


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _table(plan: Plan) -> tuple[Table, int]:
    """The actions with their points; and how many actions' points the budget left out."""
    table = Table(box=None, show_edge=False, pad_edge=False, header_style="bold")
    for column in ("", "action", "target", "workload", "reason", "detail"):
        table.add_column(column, overflow="fold")
    budget, unlisted = POINT_ROWS, 0
    for action in plan.actions:
        shown = min(len(action.points), POINTS_SHOWN, budget)
        budget -= shown
        unlisted += bool(action.points) and not shown
        _add_action(table, action, shown)
    return table, unlisted


POINTS_SHOWN = 20
"""Points listed under one action on a terminal. A fleet's plan prunes hundreds of thousands,
and rich measures every cell (0.4 ms a row: minutes); ``--json`` names every one."""
POINT_ROWS = 200
"""Point rows in the whole table; actions past it show their count in the detail only."""


def _add_action(table: Table, action: Action, shown: int) -> None:
    symbol = SYMBOLS[action.kind]
    table.add_row(
        Text(symbol, style=_STYLES[symbol]),
        str(action.kind),
        action.target,
        action.workload or "",
        str(action.reason),
        action.detail,
    )
    for point in action.points[:shown]:
        fate = {ActionKind.COPY: "copied", ActionKind.DRILL: "restored and checked",
                ActionKind.RECYCLE_CARTRIDGE: "expired, erased with the cartridge",
                ActionKind.EXTEND_LOCK: lock_fate(point)}.get(
            action.kind, f"not kept by: {', '.join(point.rules_not_keeping)}")
        table.add_row(
            "", "", "", "", Text(f"  {point.id[:12]}", style="dim"),
            Text(f"{_time(point.time)} {fate}", style="dim"),
        )
    if 0 < shown < len(action.points):
        more = len(action.points) - shown
        table.add_row("", "", "", "", Text("  …", style="dim"),
                      Text(f"and {more} more points (--json lists every one)", style="dim"))


def lock_fate(point: PrunedPoint) -> str:
    """``kept until about 2027-05-01, lock ends 2026-12-31: locked until 2027-05-02``."""
    ends = f"lock ends {_day(point.lock_ends)}" if point.lock_ends is not None else "no lock"
    kept = f"kept until about {_day(point.retained_until)}" if point.retained_until is not None else "kept"
    until = _day(point.lock_until) if point.lock_until is not None else "?"
    return f"{kept}, {ends}: locked until {until}"


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def _cost_line(cost: TargetCost) -> str:
    """``Cost of offsite: 1.2 GiB stored, 0.0120 USD/month now; next month 1.5 GiB, 0.0190 USD/month``."""
    return (f"Cost of {cost.target}: {format_size(cost.stored_bytes_now)} stored, "
            f"{cost.monthly_cost_before:.4f} {cost.currency}/month now; next month "
            f"{format_size(cost.stored_bytes_next_month)}, {cost.monthly_cost_after:.4f} {cost.currency}/month")


def render_text(plan: Plan, console: Console) -> None:
    """Print the plan; a plan without actions prints only its warnings and 'No changes.'

    What the plan could not cover (a target it could not read) comes first, in red, so
    it is the first thing a reader sees, and again in the summary line.
    """
    for error in plan.errors:
        console.print(Text(f"Error: {error.message}", style="bold red"))
        if error.hint:
            console.print(Text(f"  hint: {error.hint}", style="dim"))
    if plan.errors:
        console.print()
    if plan.actions:
        table, unlisted = _table(plan)
        console.print(table)
        if unlisted:
            console.print(Text(f"The points of {unlisted} more actions are not listed here; "
                               "`bkctl plan --json` names every one.", style="dim"))
        console.print()
    for warning in plan.warnings:
        console.print(Text(f"Warning [{warning.kind}]: {warning.message}", style="yellow"))
    if plan.warnings:
        console.print()
    for cost in plan.costs:
        console.print(Text(_cost_line(cost)))
    if plan.costs:
        console.print()
    console.print(Text(plan.summary(), style="bold red" if plan.errors else "bold"))
    if plan.needs_confirmation:
        console.print("Apply needs --allow-mass-prune to carry out this plan.")
