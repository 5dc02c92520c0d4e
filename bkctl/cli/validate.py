"""``bkctl validate``: check a manifest and report every problem with file:line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bkctl.cli.console import out
from bkctl.errors import ManifestError
from bkctl.manifest import find_manifest, load_manifest

__all__ = ["command"]


def command(
    path: Annotated[
        Path | None, typer.Argument(help="Manifest file or directory (default: bkctl.yaml or bkctl/).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Validate a manifest. Exit 0 when valid, 1 when not."""
    manifest_path = find_manifest(path)
    try:
        loaded = load_manifest(manifest_path)
    except ManifestError as error:
        if not as_json:
            raise
        out.print_json(json.dumps({"valid": False, "manifest": str(manifest_path),
                                   "diagnostics": [d.as_dict() for d in error.diagnostics]}))
        raise typer.Exit(1) from None
    m = loaded.manifest
    if as_json:
        out.print_json(json.dumps({
            "valid": True, "manifest": str(manifest_path), "files": [str(f) for f in loaded.files],
            "digest": loaded.digest, "targets": sorted(m.targets), "workloads": sorted(m.workloads),
            "policies": sorted(m.policies), "diagnostics": [],
        }))
        return
    out.print(f"[green]✓[/] {manifest_path} is valid: {len(m.targets)} target(s), "
              f"{len(m.workloads)} workload(s), {len(m.policies)} polic{'y' if len(m.policies) == 1 else 'ies'}")
