"""The JSON Schema of the manifest, generated from the pydantic models (the single schema)."""

from __future__ import annotations

import json
from typing import Any

from bkctl.model.manifest import Manifest

__all__ = ["manifest_schema", "manifest_schema_text", "SCHEMA_ID"]

SCHEMA_ID = "https://bkctl.dev/schemas/bkctl.schema.json"


def manifest_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) for one manifest file, for editors and CI checks."""
    schema = Manifest.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def manifest_schema_text() -> str:
    """The schema as stable, diff-friendly text (what ``schemas/bkctl.schema.json`` holds)."""
    return json.dumps(manifest_schema(), indent=2, sort_keys=True) + "\n"
