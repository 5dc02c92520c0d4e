"""``bkctl dump WORKLOAD PATH``: one file of a point to standard output.

For a files point PATH is the file's path in the point (``/etc/hosts``, as ``bkctl ls``
shows it); for a stream point (a database dump, a command's output) it is the item's
name. Holes of a sparse file come out as zeros. The summary goes to stderr, so stdout
carries the file's bytes and nothing else; damage stops the output with exit 67.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from bkctl import operations
from bkctl.cli.console import err
from bkctl.cli.listing import point_label
from bkctl.cli.options import ManifestOption
from bkctl.errors import RepositoryCorruptError
from bkctl.model.units import format_size
from bkctl.workspace import Workspace

__all__ = ["command"]


def command(
    workload: Annotated[str, typer.Argument(help="Workload whose point holds the file.")],
    path: Annotated[str, typer.Argument(help="The file's path in the point, or a stream point's item name.")],
    point: Annotated[str | None, typer.Option("--point", help="Recovery point id or unique prefix.")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Read the point from this target.")] = None,
    manifest: ManifestOption = None,
) -> None:
    """Write one file of a recovery point (the newest unless --point) to standard output."""
    with Workspace.load(manifest) as workspace:
        row = operations.workload_point(workspace, workload, point=point, target=target)
        try:
            size = operations.dump_file(workspace, row, path, sys.stdout.buffer)
        except BrokenPipeError:  # the reader stopped early (| head): not an error of the dump
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except RepositoryCorruptError as error:
            error.hint = "what went to standard output is incomplete: discard it" + (
                f"; {error.hint}" if error.hint else "")
            raise
        sys.stdout.buffer.flush()
    err.print(f"dumped {path} ({format_size(size)}) from {point_label(row)}", markup=False)
