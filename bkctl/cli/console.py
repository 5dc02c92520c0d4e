"""Where the CLI writes: results to stdout, diagnostics and progress to stderr."""

from __future__ import annotations

import os
import sys

from rich.console import Console

__all__ = ["out", "err", "is_interactive"]


def _console(stderr: bool) -> Console:
    # CI logs and pipes get plain text: no colours or cursor movement to garble them.
    plain = bool(os.environ.get("NO_COLOR")) or not (sys.stderr if stderr else sys.stdout).isatty()
    # Off a terminal rich assumes 80 columns; CI logs are wider, so tables keep their ids whole.
    width = None if not plain or os.environ.get("COLUMNS") else 160
    return Console(stderr=stderr, no_color=plain, highlight=False, soft_wrap=True, width=width)


out = _console(stderr=False)
err = _console(stderr=True)


def is_interactive() -> bool:
    """True when a person can answer a prompt (stdin and stderr are terminals)."""
    return sys.stdin.isatty() and sys.stderr.isatty()
