"""Merging the files of a manifest directory, and resolving named policies.

Every name keeps the document it came from, so a diagnostic can point into the right file
even after merging, and a name defined twice is reported with both places.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bkctl.errors import Diagnostic
from bkctl.manifest.source import Document, Location, NodePath

__all__ = ["Origin", "Merged", "merge_documents", "SECTIONS"]

SECTIONS = ("targets", "policies", "workloads")


@dataclass(frozen=True)
class Origin:
    """Where the subtree at ``prefix`` of the merged data was written."""

    prefix: NodePath
    document: Document
    document_prefix: NodePath
    base_dir: Path


@dataclass
class Merged:
    """The merged plain data, the origin of each part, and the problems met while merging."""

    data: dict[str, Any] = field(default_factory=dict)
    origins: list[Origin] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def origin_of(self, path: NodePath) -> Origin | None:
        """The most specific origin whose prefix starts ``path``."""
        best: Origin | None = None
        for origin in self.origins:
            n = len(origin.prefix)
            if path[:n] == origin.prefix and (best is None or n > len(best.prefix)):
                best = origin
        return best

    def locate(self, path: NodePath, *, key: bool = False) -> Location:
        """The position of ``path`` (or of its nearest written ancestor)."""
        origin = self.origin_of(path)
        if origin is None:
            first = self.origins[0].document.file if self.origins else "<manifest>"
            return Location(first, 1, 1)
        rest = path[len(origin.prefix):]
        return origin.document.position(origin.document_prefix + rest, key=key)

    def add_policy(self, name: str, document: Document, base_dir: Path) -> None:
        """Add a policy from a one-policy file (``policies/NAME.yaml``)."""
        self.data.setdefault("policies", {})[name] = document.data
        self.origins.append(Origin(("policies", name), document, (), base_dir))


def merge_documents(documents: list[Document], base_dirs: list[Path]) -> Merged:
    """Merge top-level sections; a name or single-valued key set twice is a diagnostic."""
    merged = Merged()
    for document, base_dir in zip(documents, base_dirs, strict=True):
        data = document.data
        if data is None:
            continue
        if not isinstance(data, dict):
            merged.diagnostics.append(
                Diagnostic(document.file, 1, 1, "", "a manifest file must be a mapping of keys",
                           "start with 'version: 1' and add targets, policies and workloads")
            )
            merged.origins.append(Origin((), document, (), base_dir))  # later diagnostics name this file
            continue
        for key, value in data.items():
            _merge_key(merged, document, base_dir, key, value)
    return merged


def _merge_key(merged: Merged, document: Document, base_dir: Path, key: Any, value: Any) -> None:
    if key in SECTIONS and isinstance(value, dict):
        section = merged.data.setdefault(key, {})
        for name, body in value.items():
            path = (key, name)
            if name in section:
                first = merged.locate(path, key=True)
                here = document.keys.get(path, Location(document.file, 1, 1))
                merged.diagnostics.append(
                    Diagnostic(here.file, here.line, here.column, f"{key}.{name}",
                               f"{key[:-1]} '{name}' is defined twice",
                               f"first defined at {first.file}:{first.line}:{first.column}")
                )
                continue
            section[name] = body
            merged.origins.append(Origin(path, document, path, base_dir))
        if (key,) not in {o.prefix for o in merged.origins}:
            merged.origins.append(Origin((key,), document, (key,), base_dir))
        return
    if key in merged.data and not (key == "version" and merged.data[key] == value):
        first = merged.locate((key,), key=True)
        here = document.keys.get((key,), Location(document.file, 1, 1))
        merged.diagnostics.append(
            Diagnostic(here.file, here.line, here.column, str(key), f"'{key}' is set in more than one file",
                       f"first set at {first.file}:{first.line}:{first.column}")
        )
        return
    merged.data[key] = value
    merged.origins.append(Origin((key,), document, (key,), base_dir))
