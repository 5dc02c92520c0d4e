"""pydantic validation errors -> Diagnostics with file:line, field path and valid choices."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from bkctl.errors import Diagnostic
from bkctl.manifest.merge import Merged
from bkctl.manifest.source import NodePath
from bkctl.model import Manifest

__all__ = ["diagnostics_from_validation", "dotted", "suggest"]


def suggest(word: str, choices: typing.Iterable[str]) -> str:
    """``did you mean 'x'?`` for the nearest choice, or an empty string."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def dotted(path: NodePath) -> str:
    """``workloads.etc.paths[0]``: the field path as users read it."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def diagnostics_from_validation(error: ValidationError, merged: Merged) -> list[Diagnostic]:
    """One diagnostic per pydantic error, located in the file that wrote the value."""
    result = []
    for item in error.errors(include_url=False):
        path, is_key = _document_path(tuple(item["loc"]), merged.data)
        if item["type"] == "union_tag_invalid":
            path = (*path, "type")
        message, hint = _explain(item, path, merged.data)
        location = merged.locate(path, key=is_key or item["type"] in ("extra_forbidden", "missing"))
        result.append(Diagnostic(location.file, location.line, location.column, dotted(path), message, hint))
    return result


def _document_path(loc: tuple[Any, ...], data: Any) -> tuple[NodePath, bool]:
    """Drop the union tags pydantic inserts in ``loc`` so the path matches the YAML."""
    path: list[str | int] = []
    node = data
    tagged = None
    for part in loc:
        if part == "[key]":
            return tuple(path), True
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if isinstance(node, dict) and node.get("type") == part and tagged is not node:
            tagged = node  # the tag comes first, once: a command workload also has a 'command' key
            continue
        if (isinstance(node, dict) and part in node) or in_list:
            path.append(part)
            node = node[part]
        else:
            path.append(part)
            node = None
    return tuple(path), False


def _explain(item: Any, path: NodePath, data: Any) -> tuple[str, str]:
    kind, ctx = item["type"], item.get("ctx") or {}
    field = path[-1] if path else ""
    if kind == "union_tag_invalid":
        path = path[:-1]
    if kind == "missing":
        return f"'{field}' is required", _valid_keys_hint(path[:-1], "", data)
    if kind == "extra_forbidden":
        return f"unknown key '{field}'", _valid_keys_hint(path[:-1], str(field), data)
    if kind == "union_tag_invalid":
        tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        hint = suggest(ctx.get("tag", ""), tags)
        return (f"unknown {ctx.get('discriminator', 'type').strip(chr(39))} '{ctx.get('tag')}'",
                " ".join(filter(None, [hint, f"valid: {', '.join(tags)}"])))
    if kind == "union_tag_not_found":
        return "'type' is required", f"valid: {_tags_for(path)}"
    if kind == "string_pattern_mismatch" and len(path) == 2:
        return (f"invalid name '{field}'",
                "names use lowercase letters, digits, '-', '_' and '.', and start with a letter or digit")
    message = str(item["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message, ""


def _tags_for(path: NodePath) -> str:
    from bkctl.model import TARGET_TYPES, WORKLOAD_TYPES

    table = TARGET_TYPES if path[:1] == ("targets",) else WORKLOAD_TYPES
    return ", ".join(table)


def _valid_keys_hint(parent: NodePath, wrong: str, data: Any) -> str:
    fields = _fields_at(parent, data)
    if not fields:
        return ""
    near = suggest(wrong, fields) if wrong else ""
    return " ".join(filter(None, [near, f"valid keys: {', '.join(fields)}"]))


def _fields_at(path: NodePath, data: Any) -> list[str] | None:
    """Field names of the model that sits at ``path`` in the manifest, by walking the types."""
    current: Any = Manifest
    node = data
    for part in (*path, None):
        current = _pick_member(_unwrap(current), node)
        if part is None:
            break
        node = node.get(part) if isinstance(node, dict) else None
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) in (dict, list):
            current = typing.get_args(current)[-1]
        else:
            return None
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return None


def _pick_member(annotation: Any, node: Any) -> Any:
    """A tagged union resolved by the ``type`` written in the data, when there is one."""
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return annotation
    kind = node.get("type") if isinstance(node, dict) else None
    for member in typing.get_args(annotation):
        field = getattr(member, "model_fields", {}).get("type")
        if field is not None and kind in typing.get_args(field.annotation):
            return member
    return annotation


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return annotation
