"""The committed JSON Schema is generated from the models and documents every field."""

import json

from bkctl.model.schema import manifest_schema, manifest_schema_text


def test_committed_schema_matches_the_models(repo_root):
    committed = (repo_root / "schemas" / "bkctl.schema.json").read_text()
    assert committed == manifest_schema_text(), "run: bkctl schema > schemas/bkctl.schema.json"


def _properties(schema):
    yield "Manifest", schema.get("properties", {})
    for name, definition in schema.get("$defs", {}).items():
        yield name, definition.get("properties", {})


def test_every_field_has_a_description_and_an_example():
    missing = [
        f"{model}.{field}"
        for model, properties in _properties(manifest_schema())
        for field, spec in properties.items()
        if not spec.get("description") or not spec.get("examples")
    ]
    assert missing == []


def test_unknown_keys_are_forbidden_in_every_object():
    schema = manifest_schema()
    open_objects = [name for name, d in schema["$defs"].items() if d.get("additionalProperties") is not False]
    assert open_objects == [] and schema["additionalProperties"] is False


def test_schema_is_valid_json_with_an_id():
    parsed = json.loads(manifest_schema_text())
    assert parsed["$id"].endswith("bkctl.schema.json")
