"""Apply progress: a rich live display on a terminal, one plain line per event in CI logs."""

from __future__ import annotations

from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from bkctl.cli.console import err, out
from bkctl.model.plan import Action

__all__ = ["ConsoleReporter", "describe"]


def describe(action: Action) -> str:
    if action.workload:
        return f"{action.kind} {action.workload} -> {action.target}"
    return f"{action.kind} {action.target}"


class _Bar:
    def __init__(self, progress: Progress, task: int) -> None:
        self._progress, self._task = progress, task

    def advance(self, count: int) -> None:
        self._progress.advance(self._task, count)  # type: ignore[arg-type]

    def file(self, path: str) -> None:
        return None


class ConsoleReporter:
    """Reports each action; shows a byte counter while a backup or verify runs on a terminal."""

    def __init__(self) -> None:
        self._live: Progress | None = None

    def started(self, action: Action) -> _Bar | None:
        if not err.is_terminal:
            err.print(f"{describe(action)}: started")
            return None
        self._live = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                              TransferSpeedColumn(), console=err, transient=True)
        self._live.start()
        return _Bar(self._live, self._live.add_task(escape(describe(action)), total=None))

    def _stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def finished(self, action: Action, message: str) -> None:
        self._stop()
        out.print(f"[green]✓[/] {escape(describe(action))}: {escape(message)}")

    def failed(self, action: Action, message: str, hint: str = "") -> None:
        self._stop()
        out.print(f"[red]✗[/] {escape(describe(action))}: {escape(message)}")
        if hint:
            out.print(f"    [dim]hint: {escape(hint)}[/]")
