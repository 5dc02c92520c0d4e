"""``bkctl schema``: print the manifest's JSON Schema (for editors and CI)."""

from __future__ import annotations

import sys

from bkctl.model.schema import manifest_schema_text

__all__ = ["command"]


def command() -> None:
    """Print the JSON Schema of bkctl manifests."""
    sys.stdout.write(manifest_schema_text())
