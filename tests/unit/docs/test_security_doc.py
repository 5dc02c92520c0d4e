"""docs/security.md promises that every row of its threat-model table is pinned by a test:
each row must name at least one test, and every test it names must exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TABLE_START = "| someone holding… |"


def _rows() -> list[str]:
    text = (ROOT / "docs" / "security.md").read_text()
    table = text[text.index(TABLE_START):].split("\n\n", 1)[0].splitlines()
    return [row for row in table[2:] if row.startswith("|")]


def _tests_defined() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / "tests").rglob("test_*.py"):
        names = {node.name for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}
        found.setdefault(path.name, set()).update(names)
    return found


def test_every_threat_model_row_names_a_test_and_each_named_test_exists() -> None:
    defined = _tests_defined()
    rows = _rows()
    assert len(rows) >= 15
    module = ""
    for row in rows:
        cited = re.findall(r"`(?:tests/[\w/]+/)?(test_\w+\.py)?(?:::)?(test_\w+)`", row)
        named = [cell for cell in row.split("|")[-2:-1] if "same test" in cell]
        assert cited or named, f"a threat-model row names no test: {row[:80]}"
        for file_name, test in cited:
            module = file_name or module
            assert module in defined, f"{module} does not exist (row: {row[:60]})"
            assert test in defined[module], f"{module} has no {test}"
