"""Progress displays for long work (backup, restore, verify): the Progress protocol, shown.

On a terminal a live block redrawn eight times a second: what runs, a bar with the
percentage, files and bytes done of the total, the rate, the ETA, and the current file.
Off a terminal (CI logs, ``2> file``) one line every ``BKCTL_PROGRESS_INTERVAL`` seconds
(default 10) with the same figures, so a long job shows life without flooding the log;
the line comes from a timer, so it appears even while one huge file is being read.
``--verbose`` adds a line per file; ``--quiet`` draws nothing but still counts, for the
summary line. Everything goes to stderr: stdout stays for results.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from bkctl.cli.console import Verbosity, err, verbosity
from bkctl.model.units import format_size

__all__ = ["Tally", "ProgressView", "open_view", "watching", "format_seconds", "INTERVAL_ENVIRONMENT"]

INTERVAL_ENVIRONMENT = "BKCTL_PROGRESS_INTERVAL"
DEFAULT_INTERVAL_SECONDS = 10.0  # a CI log gets six lines a minute: alive, not flooded


def format_seconds(seconds: float) -> str:
    """``0.4 s``, ``12 s``, ``3:05``, ``1:02:03``: short enough for a bar, exact enough for a summary."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


@dataclass
class Tally:
    """What one job did so far; plain counters, updated by the worker and read by the display."""

    files: int = 0
    bytes: int = 0
    total_files: int | None = None
    total_bytes: int | None = None
    current: str = ""
    started: float = field(default_factory=time.monotonic)
    unit: str = "files"  # what ``file`` announces: files, or packs for verify

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def rate(self) -> float:
        return self.bytes / max(self.elapsed(), 1e-6)

    def fraction(self) -> float | None:
        if not self.total_bytes:
            return None
        return min(self.bytes / self.total_bytes, 1.0)

    def eta(self) -> float | None:
        """Seconds left at the average rate so far; None without a total or before any byte."""
        if self.total_bytes is None or self.bytes == 0:
            return None
        return max(self.total_bytes - self.bytes, 0) / max(self.rate(), 1e-6)

    def compact(self) -> str:
        """``8672/19436 files  89.2 MiB/200.0 MiB  22.3 MiB/s  ETA 5.0 s``: the live bar's line."""
        return self._line(of="/", between="  ")

    def figures(self) -> str:
        """``120 of 500 files, 12.3 MiB of 40.0 MiB, 4.1 MiB/s, ETA 7.0 s`` (parts as known)."""
        return self._line(of=" of ", between=", ")

    def _line(self, *, of: str, between: str) -> str:
        files = f"{self.files}{of}{self.total_files}" if self.total_files is not None else f"{self.files}"
        size = (f"{format_size(self.bytes)}{of}{format_size(self.total_bytes)}" if self.total_bytes is not None
                else format_size(self.bytes))
        parts = [f"{files} {self.unit}", size, f"{format_size(self.rate())}/s"]
        if eta := self.eta():
            parts.append(f"ETA {format_seconds(eta)}")
        return between.join(parts)


class ProgressView:
    """One job's display; implements the Progress protocol (bkctl/archiver/progress.py, which
    the cli layer may not import: mypy checks the fit where a view is passed on). Close it
    when the job ends."""

    def __init__(self, description: str, console: Console, unit: str = "files") -> None:
        self.description = description
        self.tally = Tally(unit=unit)
        self._console = console
        self._verbose = verbosity() >= Verbosity.VERBOSE

    def advance(self, nbytes: int) -> None:
        self.tally.bytes += nbytes

    def file(self, path: str) -> None:
        self.tally.files += 1
        self.tally.current = path
        if self._verbose:
            self._console.print(Text(f"  {path}", style="dim"))

    def total(self, files: int, nbytes: int) -> None:
        self.tally.total_files, self.tally.total_bytes = files, nbytes

    def close(self) -> None:
        """Stop drawing; the tally stays readable for the summary."""


class _LiveView(ProgressView):
    """A terminal: a live block under the lines already printed, gone when the job ends."""

    def __init__(self, description: str, unit: str) -> None:
        self._live = Live(console=err, refresh_per_second=8, transient=True, redirect_stdout=False,
                          redirect_stderr=False)
        super().__init__(description, self._live.console, unit)
        self._live.update(_Block(self))
        self._live.start()

    def close(self) -> None:
        self._live.stop()


class _Block:
    """The live block's drawing, computed afresh at every refresh from the tally."""

    def __init__(self, view: ProgressView) -> None:
        self._view = view

    def __rich__(self) -> RenderableType:
        tally, width = self._view.tally, err.width
        head = Text(self._view.description, style="bold", no_wrap=True, overflow="ellipsis")
        fraction = tally.fraction()
        percent = f" {fraction:4.0%}" if fraction is not None else ""
        figures = Text(f"{percent}  {tally.compact()}", no_wrap=True, overflow="ellipsis")
        line = Table.grid(expand=False)
        line.add_column(no_wrap=True)
        line.add_column(no_wrap=True, overflow="ellipsis")
        line.add_row(ProgressBar(total=1.0, completed=fraction or 0.0, pulse=fraction is None,
                                 width=max(10, min(30, width - len(figures)))), figures)
        current = tally.current
        if len(current) > width - 4:
            current = "…" + current[-(width - 5):]
        return Group(head, line, Text(f"  {current}", style="dim", no_wrap=True, overflow="ellipsis"))


class _LogView(ProgressView):
    """Not a terminal: a start line, then a line of figures every interval from a timer thread."""

    def __init__(self, description: str, unit: str) -> None:
        super().__init__(description, err, unit)
        self._stop = threading.Event()
        err.print(f"{escape(description)}: started")
        self._thread = threading.Thread(target=self._tick, name="bkctl-progress", daemon=True)
        self._thread.start()

    def _tick(self) -> None:
        while not self._stop.wait(_interval()):
            current = f" (now {self.tally.current})" if self.tally.current else ""
            err.print(Text(f"{self.description}: {self.tally.figures()}{current}"))

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def _interval() -> float:
    try:
        return max(float(os.environ.get(INTERVAL_ENVIRONMENT, DEFAULT_INTERVAL_SECONDS)), 0.05)
    except ValueError:
        return DEFAULT_INTERVAL_SECONDS


def open_view(description: str, unit: str = "files") -> ProgressView:
    """A display fitting stderr: live on a terminal, timed lines off one, silent under --quiet."""
    if verbosity() == Verbosity.QUIET:
        return ProgressView(description, err, unit)
    return _LiveView(description, unit) if err.is_terminal else _LogView(description, unit)


@contextmanager
def watching(description: str, unit: str = "files") -> Iterator[ProgressView]:
    """``open_view`` for one job, closed however the job ends."""
    view = open_view(description, unit)
    try:
        yield view
    finally:
        view.close()
