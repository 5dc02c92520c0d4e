"""``bkctl drill WORKLOAD``: a restore drill now: restore a point into scratch space, check it, time it.

The measured time (the RTO) is recorded in the target's run records, where ``status``,
``report`` and the next ``plan`` read it. Exits 1 when the drill's checks fail, and with
the failure's own code when the restore cannot start (66 no point, 65 wrong passphrase).
"""

from __future__ import annotations

from typing import Annotated

import typer

from bkctl import operations
from bkctl.cli.console import out
from bkctl.cli.options import ManifestOption, NowOption, now_or
from bkctl.cli.reporter import ConsoleReporter
from bkctl.workspace import Workspace

__all__ = ["command"]


def command(
    workload: Annotated[str, typer.Argument(help="Workload to drill.")],
    target: Annotated[str | None, typer.Option("--target", help="Restore from this target.")] = None,
    manifest: ManifestOption = None,
    now: NowOption = None,
) -> int:
    """Restore one point of a workload into scratch space, check it, and record how long it took."""
    with Workspace.load(manifest) as workspace:
        result = operations.drill(workspace, workload, ConsoleReporter(), target=target, now=now_or(now))
    out.print(result.summary())
    raise typer.Exit(result.exit_code)
