"""``bkctl validate``: check a manifest and report every problem with file:line."""

from __future__ import annotations

import typer

from bkctl.cli import console
from bkctl.cli.options import JsonOption, ManifestArgument, ManifestOption, chosen_manifest
from bkctl.errors import ManifestError
from bkctl.manifest import find_manifest, load_manifest

__all__ = ["command"]


def command(
    path: ManifestArgument = None,
    manifest: ManifestOption = None,
    as_json: JsonOption = False,
) -> None:
    """Validate a manifest. Exit 0 when valid, 1 when not."""
    console.use_json(as_json)
    manifest_path = find_manifest(chosen_manifest(manifest, path))
    try:
        loaded = load_manifest(manifest_path)
    except ManifestError as error:
        if not as_json:
            raise
        console.emit_json({"valid": False, "manifest": str(manifest_path),
                           "diagnostics": [d.as_dict() for d in error.diagnostics]})
        raise typer.Exit(1) from None
    m = loaded.manifest
    if as_json:
        console.emit_json({
            "valid": True, "manifest": str(manifest_path), "files": [str(f) for f in loaded.files],
            "digest": loaded.digest, "targets": sorted(m.targets), "workloads": sorted(m.workloads),
            "policies": sorted(m.policies), "diagnostics": [],
        })
        return
    console.summary(f"✓ {manifest_path} is valid: {len(m.targets)} target(s), {len(m.workloads)} workload(s), "
                    f"{len(m.policies)} polic{'y' if len(m.policies) == 1 else 'ies'}")
