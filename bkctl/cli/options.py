"""Options shared by several commands, and parsing of user-given times."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from bkctl.errors import UsageError
from bkctl.model.units import parse_duration

__all__ = ["ManifestOption", "ManifestArgument", "JsonOption", "NowOption", "parse_time", "now_or", "chosen_manifest"]

ManifestOption = Annotated[
    Path | None,
    typer.Option("--manifest", "-m", help="Manifest file or directory (default: $BKCTL_MANIFEST, "
                                          "else bkctl.yaml or bkctl/ in the current directory)."),
]
ManifestArgument = Annotated[
    Path | None, typer.Argument(help="Manifest file or directory (the same as -m; -m wins when both are given).")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document (with format_version) on stdout; messages go to stderr.")
]
NowOption = Annotated[
    str | None,
    typer.Option("--now", help="Plan as if it were this time: ISO-8601 (UTC if no offset) or +DURATION (e.g. +9h)."),
]


def parse_time(text: str, *, option: str = "--now") -> datetime:
    """ISO-8601 (naive means UTC), or ``+9h``/``-2d`` relative to the current time."""
    value = text.strip()
    relative = value[:1] in ("+", "-")
    try:
        if relative:
            span = parse_duration(value[1:]).fixed()
            current = datetime.now(UTC)
            return current + span if value[0] == "+" else current - span
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        reason = f": {error}" if relative else ""  # names the fix, e.g. '+5m' -> 5min or 5mo
        raise UsageError(f"{option}: cannot read {text!r} as a time{reason}",
                         hint="use ISO-8601 like 2026-11-24T18:00:00Z, or +9h / +30min / -2d") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def chosen_manifest(option: Path | None, positional: Path | None) -> Path | None:
    """``-m`` first, then the positional path; None lets find_manifest try $BKCTL_MANIFEST, then here."""
    return option if option is not None else positional


def now_or(text: str | None) -> datetime:
    return parse_time(text) if text else datetime.now(UTC)
