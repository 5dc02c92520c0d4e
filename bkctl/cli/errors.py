"""Rendering BkctlErrors for people (rich) and for machines (JSON)."""

from __future__ import annotations

from rich.markup import escape

from bkctl.cli.console import err
from bkctl.errors import BkctlError, ManifestError

__all__ = ["show_error"]


def show_error(error: BkctlError) -> None:
    """Print an expected error: message, context, hint; never a traceback."""
    if isinstance(error, ManifestError):
        where = f" ({escape(error.context)})" if error.context else ""
        err.print(f"[bold red]Error:[/] {escape(error.message)}{where}")
        for d in error.diagnostics:
            where = f"{d.location()}: {d.path}: " if d.path else f"{d.location()}: "
            err.print(f"  [bold]{escape(where)}[/]{escape(d.message)}")
            if d.hint:
                err.print(f"      [dim]hint: {escape(d.hint)}[/]")
        return
    head = f"{error.context}: {error.message}" if error.context else error.message
    err.print(f"[bold red]Error:[/] {escape(head)}")
    if error.hint:
        err.print(f"  [dim]hint: {escape(error.hint)}[/]")
