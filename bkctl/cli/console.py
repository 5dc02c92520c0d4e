"""Where the CLI writes: results to stdout, diagnostics and progress to stderr.

Three settings shape every command's output, chosen once per run:

* ``--quiet`` keeps errors and the final summary line; ``--verbose`` adds a line per
  file and the engine's debug log (the ``bkctl`` logger, on stderr).
* ``--json`` makes stdout carry one JSON document and nothing else, so ``| jq`` works:
  the human lines a command would print (results, the summary) move to stderr.

Commands print through :func:`say` (a result line), :func:`summary` (the last line) and
:func:`emit_json`; they never pick stdout or stderr themselves.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from rich.console import Console, RenderableType

__all__ = ["out", "err", "is_interactive", "Verbosity", "configure", "use_json", "json_mode", "verbosity", "report",
           "say", "summary", "emit_json", "JSON_FORMAT_VERSION"]

JSON_FORMAT_VERSION = 1
"""``format_version`` of every JSON document the CLI prints (the saved plan has its own, also 1)."""


class Verbosity(IntEnum):
    QUIET = 0
    NORMAL = 1
    VERBOSE = 2


@dataclass
class _Mode:
    verbosity: Verbosity = Verbosity.NORMAL
    json: bool = False


_mode = _Mode()


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


def configure(*, quiet: bool, verbose: bool) -> None:
    """Set the run's verbosity (the global options) and the ``bkctl`` logger's level to match."""
    _mode.verbosity = Verbosity.QUIET if quiet else Verbosity.VERBOSE if verbose else Verbosity.NORMAL
    _mode.json = False
    logger = logging.getLogger("bkctl")
    logger.setLevel({Verbosity.QUIET: logging.ERROR, Verbosity.NORMAL: logging.WARNING,
                     Verbosity.VERBOSE: logging.DEBUG}[_mode.verbosity])
    if not any(getattr(handler, "bkctl_cli", False) for handler in logger.handlers):
        handler = logging.StreamHandler()  # writes to the sys.stderr of the moment
        handler.setFormatter(logging.Formatter("bkctl: %(levelname)s: %(message)s"))
        handler.bkctl_cli = True  # type: ignore[attr-defined]
        logger.addHandler(handler)


def use_json(enabled: bool) -> None:
    """This command prints a JSON document: stdout is reserved for it."""
    _mode.json = enabled


def verbosity() -> Verbosity:
    return _mode.verbosity


def json_mode() -> bool:
    return _mode.json


def report() -> Console:
    """Where human-readable results go: stdout, or stderr while stdout carries JSON."""
    return err if _mode.json else out


def say(renderable: RenderableType) -> None:
    """A result line (or table); left out under ``--quiet``."""
    if _mode.verbosity > Verbosity.QUIET:
        report().print(renderable)


def summary(text: str) -> None:
    """The command's last line: files, sizes, duration. Shown even under ``--quiet``."""
    report().print(text, markup=False)


def emit_json(document: Mapping[str, Any]) -> None:
    """Print ``document`` to stdout with ``format_version`` first: the command's whole stdout."""
    sys.stdout.write(json.dumps({"format_version": JSON_FORMAT_VERSION, **document}, indent=2) + "\n")
    sys.stdout.flush()
