"""``bkctl find PATTERN``: which points hold a matching file, and where.

PATTERN is a shell glob (``*.conf``, ``report-202?.pdf``) matched against each entry's
name; a pattern with a ``/`` is matched against the whole path instead
(``/etc/*/*.conf``). Every point of the readable targets is searched (a point kept in a
replica too is searched once); a target that could not be read is named after the
results and makes the exit code its error's.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from bkctl import operations
from bkctl.cli.console import err
from bkctl.cli.listing import entry_line, print_json, write_line
from bkctl.cli.options import ManifestOption
from bkctl.workspace import Workspace

__all__ = ["command"]


def command(
    pattern: Annotated[str, typer.Argument(help="Glob on the entry's name, or on its path when it holds a '/'.")],
    workload: Annotated[str | None, typer.Option("--workload", help="Only points of this workload.")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Only points in this target.")] = None,
    long: Annotated[bool, typer.Option("--long", "-l", help="Show mode, owner, group, size and mtime.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    manifest: ManifestOption = None,
) -> None:
    """Find entries by name or path across recovery points."""
    with Workspace.load(manifest) as workspace:
        matches, searched = operations.find_entries(workspace, pattern, workload=workload, target=target)
    if as_json:
        print_json({"format_version": operations.FORMAT_VERSION, "pattern": pattern,
                    "matches": [m.as_dict() for m in matches],
                    "unreadable_targets": {t: e.message for t, e in searched.failures.items()}})
    else:
        for match in matches:
            point = match.row.point
            write_line(f"{point.id[:8]} {point.time:%Y-%m-%d %H:%M:%S} {point.workload} {match.row.target} "
                       f"{entry_line(match.entry, long=long)}")
        points = len({m.row.point.id for m in matches})
        total = len({r.point.id for r in searched.rows if workload in (None, r.point.workload)})
        err.print(f"{len(matches)} match{'' if len(matches) == 1 else 'es'} for {pattern!r} in {points} "
                  f"point{'' if points == 1 else 's'} ({total} searched)", markup=False)
    for name, error in searched.failures.items():
        err.print(f"[bold red]Error:[/] target '{escape(name)}' was not searched: {escape(error.message)}")
    if searched.failures:
        raise typer.Exit(searched.exit_code)
