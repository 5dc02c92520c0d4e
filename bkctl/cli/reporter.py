"""Apply progress: a display per action while it runs, a line when it ends, and the tallies
that the command's summary line reports (files and bytes, time taken)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from bkctl.cli import console
from bkctl.cli.progress_view import ProgressView, format_seconds, open_view
from bkctl.model.plan import Action, ActionKind
from bkctl.model.units import format_size

if TYPE_CHECKING:  # annotations only: bkctl.operations loads its submodules on first use
    from bkctl.operations import ApplyResult

__all__ = ["ConsoleReporter", "describe", "points_made", "apply_summary", "apply_document"]

logger = logging.getLogger("bkctl")


def describe(action: Action) -> str:
    if action.workload:
        return f"{action.kind} {action.workload} -> {action.target}"
    return f"{action.kind} {action.target}"


class ConsoleReporter:
    """Reports each action; shows progress while a backup or verify runs (see progress_view)."""

    def __init__(self) -> None:
        self._view: ProgressView | None = None
        self.files_backed_up = 0
        self.started_at = time.monotonic()

    def started(self, action: Action) -> ProgressView:
        self._view = open_view(describe(action), "packs" if action.kind == ActionKind.VERIFY else "files")
        return self._view

    def _stop(self, action: Action) -> None:
        if self._view is not None:
            self._view.close()
            tally = self._view.tally
            logger.debug("%s: %d %s, %d bytes in %.3f s", describe(action), tally.files, tally.unit, tally.bytes,
                         tally.elapsed())
            if action.kind == ActionKind.BACKUP:
                self.files_backed_up += self._view.tally.files
            self._view = None

    def finished(self, action: Action, message: str) -> None:
        self._stop(action)
        console.say(f"[green]✓[/] {escape(describe(action))}: {escape(message)}")

    def failed(self, action: Action, message: str, hint: str = "") -> None:
        self._stop(action)
        console.report().print(f"[red]✗[/] {escape(describe(action))}: {escape(message)}")
        if hint:
            console.report().print(f"    [dim]hint: {escape(hint)}[/]")

    def seconds(self) -> float:
        return time.monotonic() - self.started_at


def points_made(result: ApplyResult) -> list[dict[str, Any]]:
    """The points this run's backups made, each with its target: the one place that reads
    them out of the result (id, workload, target, logical bytes, bytes it stored)."""
    made = [o for o in result.outcomes if o.ok and o.action.kind == ActionKind.BACKUP and o.done and o.done.point]
    return [{"target": o.action.target, "workload": o.action.workload, "id": o.done.point,
             "bytes": o.done.bytes, "stored_bytes": o.done.stored_bytes}
            for o in sorted(made, key=lambda o: (o.action.workload or "", o.action.target)) if o.done]


def apply_summary(result: ApplyResult, reporter: ConsoleReporter, *, command: str = "Apply") -> str:
    """``Apply complete: 2 actions done; 50 files (976.6 KiB) backed up, 977.9 KiB new in the targets; 1.3 s.``"""
    head = command + result.summary().removesuffix(".").removeprefix("Apply")
    points = points_made(result)
    if points:
        files = reporter.files_backed_up
        head += (f"; {files} file{'' if files == 1 else 's'} ({format_size(sum(p['bytes'] for p in points))}) "
                 f"backed up, {format_size(sum(p['stored_bytes'] for p in points))} new in the targets")
    return f"{head}; {format_seconds(reporter.seconds())}."


def apply_document(result: ApplyResult, reporter: ConsoleReporter) -> dict[str, Any]:
    """The JSON form of an apply or backup run: every action's outcome and every point made."""
    points = points_made(result)
    return {
        "actions": [{"kind": str(o.action.kind), "target": o.action.target, "workload": o.action.workload,
                     "ok": o.ok, "message": o.message, "hint": o.hint, "exit_code": o.exit_code}
                    for o in result.outcomes],
        "points": points,
        "summary": {"done": sum(o.ok for o in result.outcomes), "failed": len(result.failed),
                    "files": reporter.files_backed_up, "bytes": sum(p["bytes"] for p in points),
                    "stored_bytes": sum(p["stored_bytes"] for p in points),
                    "seconds": round(reporter.seconds(), 3)},
        "exit_code": result.exit_code,
    }
