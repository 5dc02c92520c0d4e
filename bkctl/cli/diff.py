"""``bkctl diff POINT_A POINT_B``: what changed from one point to another.

One line per change, restic's letters: ``+`` added, ``-`` removed, ``M`` modified
(content), ``U`` metadata only (mode, owner, mtime), ``T`` type changed; then a summary
with the bytes added and removed. Both points must be in one target (ids are keyed per
repository); a folder whose tree did not change is not read at all.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bkctl import operations
from bkctl.cli.console import out
from bkctl.cli.listing import point_label, print_json, write_line
from bkctl.cli.options import ManifestOption
from bkctl.model.units import format_size
from bkctl.workspace import Workspace

__all__ = ["command"]

LETTERS = {"added": "+", "removed": "-", "modified": "M", "metadata": "U", "type": "T"}


def command(
    old: Annotated[str, typer.Argument(help="The earlier point: id or unique prefix.")],
    new: Annotated[str, typer.Argument(help="The later point: id or unique prefix.")],
    target: Annotated[str | None, typer.Option("--target", help="Compare the points in this target.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    manifest: ManifestOption = None,
) -> None:
    """Show the entries added, removed and modified between two recovery points."""
    with Workspace.load(manifest) as workspace:
        comparison = operations.compare_points(workspace, old, new, target=target)
    if as_json:
        print_json(comparison.as_dict())
        return
    for change in comparison.changes:
        write_line(f"{LETTERS[change.kind]}  {change.path}{_sizes(change)}")
    out.print(_summary(comparison), markup=False)


def _sizes(change: operations.EntryChange) -> str:
    old, new = change.old, change.new
    if change.kind == "modified" and old and new and old.type == "file":
        return f"  ({format_size(old.size)} -> {format_size(new.size)})"
    entry = new or old
    if change.kind in ("added", "removed") and entry and entry.type == "file":
        return f"  ({format_size(entry.size)})"
    return ""


def _summary(comparison: operations.PointComparison) -> str:
    counts = {kind: sum(c.kind == kind for c in comparison.changes) for kind in LETTERS}
    sizes = comparison.sizes()
    return (f"{point_label(comparison.old)} -> {comparison.new.point.id[:8]} "
            f"({comparison.new.point.time:%Y-%m-%d %H:%M:%S} UTC): "
            f"{counts['added']} added ({format_size(sizes['added_bytes'])}), "
            f"{counts['removed']} removed ({format_size(sizes['removed_bytes'])}), {counts['modified']} modified, "
            f"{counts['metadata']} metadata only, {counts['type']} type changed")
