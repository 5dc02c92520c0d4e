"""``bkctl backup WORKLOAD``: back up now (Azure's "Back up now"), outside the schedule.

Exits with the failed action's own code (70 for a missing pg_dump, 65 for a wrong
passphrase), as apply does.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bkctl import operations
from bkctl.cli.console import out
from bkctl.cli.options import ManifestOption, now_or
from bkctl.cli.reporter import ConsoleReporter
from bkctl.workspace import Workspace

__all__ = ["command"]


def command(
    workload: Annotated[str, typer.Argument(help="Workload to back up.")],
    target: Annotated[str | None, typer.Option("--target", help="Only into this target.")] = None,
    manifest: ManifestOption = None,
) -> int:
    """Back up one workload now into its targets (initialising them if needed)."""
    with Workspace.load(manifest) as workspace:
        result = operations.backup_now(workspace, workload, ConsoleReporter(), target=target, now=now_or(None))
    out.print(result.summary())
    raise typer.Exit(result.exit_code)
