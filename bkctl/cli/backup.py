"""``bkctl backup WORKLOAD``: back up now (Azure's "Back up now"), outside the schedule.

Exits with the failed action's own code (70 for a missing pg_dump, 65 for a wrong
passphrase), as apply does.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bkctl import operations
from bkctl.cli import console
from bkctl.cli.options import JsonOption, ManifestOption, now_or
from bkctl.cli.reporter import ConsoleReporter, apply_document, apply_summary
from bkctl.workspace import Workspace

__all__ = ["command"]


def command(
    workload: Annotated[str, typer.Argument(help="Workload to back up.")],
    target: Annotated[str | None, typer.Option("--target", help="Only into this target.")] = None,
    manifest: ManifestOption = None,
    as_json: JsonOption = False,
) -> int:
    """Back up one workload now into its targets (initialising them if needed)."""
    console.use_json(as_json)
    reporter = ConsoleReporter()
    with Workspace.load(manifest) as workspace:
        result = operations.backup_now(workspace, workload, reporter, target=target, now=now_or(None))
    if as_json:
        console.emit_json(apply_document(result, reporter))
    console.summary(apply_summary(result, reporter, command="Backup"))
    raise typer.Exit(result.exit_code)
