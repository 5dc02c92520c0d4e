"""YAML text -> plain data plus the file, line and column of every key and value.

ruamel.yaml's round-trip loader keeps positions; we convert its nodes into plain Python
values (so pydantic sees ordinary dicts and lists) and keep a side index from the path of
each node (``("workloads", "etc", "paths", 0)``) to where it was written.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from bkctl.errors import Diagnostic

__all__ = ["Location", "Document", "parse_yaml", "NodePath"]

NodePath = tuple[str | int, ...]


@dataclass(frozen=True)
class Location:
    """A 1-based position in a manifest file."""

    file: str
    line: int
    column: int


@dataclass
class Document:
    """One parsed YAML file: its plain data and where each key and value was written."""

    file: str
    data: Any
    keys: dict[NodePath, Location] = field(default_factory=dict)
    values: dict[NodePath, Location] = field(default_factory=dict)


def parse_yaml(path: Path, display: str) -> Document | Diagnostic:
    """Parse one file; a syntax error becomes a Diagnostic with its line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Diagnostic(display, 1, 1, "", f"cannot read file: {exc}")
    yaml = YAML(typ="rt", pure=True)
    try:
        node = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        return Diagnostic(display, line, column, "", f"invalid YAML: {problem or exc}")
    except YAMLError as exc:
        return Diagnostic(display, 1, 1, "", f"invalid YAML: {exc}")
    document = Document(file=display, data=None)
    document.values[()] = Location(display, 1, 1)
    document.data = _plain(node, (), document)
    return document


def _plain(node: Any, path: NodePath, document: Document) -> Any:
    if isinstance(node, CommentedMap):
        result: dict[Any, Any] = {}
        for key in node:
            child = (*path, key if isinstance(key, (str, int)) else str(key))
            kline, kcol = node.lc.key(key)
            vline, vcol = node.lc.value(key)
            document.keys[child] = Location(document.file, kline + 1, kcol + 1)
            document.values[child] = Location(document.file, vline + 1, vcol + 1)
            plain_key = key if isinstance(key, (str, int, float, bool)) or key is None else str(key)
            result[plain_key] = _plain(node[key], child, document)
        return result
    if isinstance(node, CommentedSeq):
        items = []
        for index, item in enumerate(node):
            line, col = node.lc.item(index)
            document.values[(*path, index)] = Location(document.file, line + 1, col + 1)
            document.keys[(*path, index)] = document.values[(*path, index)]
            items.append(_plain(item, (*path, index), document))
        return items
    return _scalar(node)


def _scalar(node: Any) -> Any:
    """ruamel's scalar subclasses -> builtins; dates become ISO strings."""
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, (_dt.datetime, _dt.date)):
        return node.isoformat()
    if isinstance(node, str):
        return str(node)
    return node
