"""``bkctl ls WORKLOAD [PATH]``: the entries of a recovery point (the newest by default).

Like restic's ``ls``: every entry below PATH (the whole point by default), one path a
line, depth-first by name; ``-l`` adds mode, owner, group, size and mtime.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bkctl import operations
from bkctl.cli.console import err
from bkctl.cli.listing import entry_line, point_label, print_json, write_line
from bkctl.cli.options import ManifestOption
from bkctl.workspace import Workspace

__all__ = ["command"]


def command(
    workload: Annotated[str, typer.Argument(help="Workload whose point to list.")],
    path: Annotated[str, typer.Argument(help="Only what lies below this path in the point (e.g. /etc).")] = "/",
    point: Annotated[str | None, typer.Option("--point", help="Recovery point id or unique prefix.")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Read the point from this target.")] = None,
    long: Annotated[bool, typer.Option("--long", "-l", help="Show mode, owner, group, size and mtime.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    manifest: ManifestOption = None,
) -> None:
    """List the entries of a recovery point (the workload's newest unless --point)."""
    with Workspace.load(manifest) as workspace:
        row = operations.workload_point(workspace, workload, point=point, target=target)
        entries = operations.list_entries(workspace, row, path)
    if as_json:
        print_json({"format_version": operations.FORMAT_VERSION, "point": row.as_dict(), "path": path,
                    "entries": [operations.entry_dict(e) for e in entries]})
        return
    for entry in entries:
        write_line(entry_line(entry, long=long))
    count = len(entries)
    err.print(f"{count} entr{'y' if count == 1 else 'ies'} below {path} in {point_label(row)}", markup=False)
