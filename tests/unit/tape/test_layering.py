"""The tape package sits beside the repository engine: it never reaches up into targets, CLI or planner."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TAPE = Path(__file__).resolve().parents[3] / "bkctl" / "tape"
ALLOWED = ("bkctl.tape", "bkctl.repo", "bkctl.errors", "bkctl.model", "bkctl.secrets")


@pytest.mark.parametrize("path", sorted(TAPE.glob("*.py")), ids=lambda p: p.name)
def test_tape_modules_import_only_the_engine_below_them(path):
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module)
    ours = {name for name in imported if name.startswith("bkctl")}
    assert {name for name in ours if not name.startswith(ALLOWED)} == set()
