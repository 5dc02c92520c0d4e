"""Bounds on what one manifest may hold, so hostile YAML fails fast instead of hanging.

A manifest is read on every ``validate``, ``plan`` and ``apply``, often in CI on files from a
pull request. Without bounds a 1 KiB "billion laughs" file expands nine levels of aliases into
10^9 values, and a list nested 1,000 deep exhausts the stack. Each bound below is far above
what a real manifest uses (the shipped examples: 1-2 KiB, depth 7, no aliases) and far below
what makes bkctl slow: the pure-Python YAML parser reads about 150-200 KiB per second, so the
byte bounds keep the worst case for a whole manifest near one second.
"""

from __future__ import annotations

from pathlib import Path

from bkctl.errors import Diagnostic

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_MANIFEST_BYTES",
    "MAX_FILES",
    "MAX_DEPTH",
    "MAX_ALIASES",
    "MAX_VALUES",
    "MAX_INTEGER",
    "size_diagnostics",
]

MAX_FILE_BYTES = 64 * 1024
"""One file: room for about 300 workloads with comments; parsed in about 0.4 s."""

MAX_MANIFEST_BYTES = 256 * 1024
"""All files of a manifest directory together."""

MAX_FILES = 100
"""YAML files in a manifest directory (a file per team or per host is the usual split)."""

MAX_DEPTH = 32
"""Nesting of mappings and lists, aliases counted at their expanded depth (real use: 7)."""

MAX_ALIASES = 200
"""``*name`` references in one file."""

MAX_VALUES = 20_000
"""Values (scalars, lists, mappings) in one file once every alias is expanded."""

MAX_INTEGER = 2**63 - 1
"""The largest integer a manifest may write; nothing in a manifest counts further."""


def size_diagnostics(files: list[Path]) -> list[Diagnostic]:
    """Too many files, or too many bytes in all of them: one diagnostic, before any parsing.

    A single file is bounded when it is read (``MAX_FILE_BYTES``), with its own message.
    """
    if len(files) > MAX_FILES:
        return [Diagnostic(str(files[MAX_FILES]), 1, 1, "",
                           f"the manifest directory holds {len(files)} YAML files; at most {MAX_FILES} are read",
                           "keep only manifest files in the directory")]
    if len(files) < 2:
        return []
    total = 0
    for file in files:
        try:
            total += file.stat().st_size
        except OSError:
            continue  # reported with its reason when the file is read
        if total > MAX_MANIFEST_BYTES:
            return [Diagnostic(str(file), 1, 1, "",
                               f"the manifest files together exceed {MAX_MANIFEST_BYTES // 1024} KiB",
                               "a manifest this large is not expected; keep only manifest files in the directory")]
    return []
