"""The layering rules of STYLE.md, checked on the import statements of every module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "bkctl"

# module prefix -> bkctl modules it must not import (directly)
FORBIDDEN = {
    "bkctl.model": ["bkctl.manifest", "bkctl.planner", "bkctl.repo", "bkctl.store", "bkctl.targets", "bkctl.cli",
                    "bkctl.render", "bkctl.operations", "bkctl.archiver", "bkctl.restorer", "bkctl.sources"],
    "bkctl.planner": ["bkctl.manifest", "bkctl.repo", "bkctl.store", "bkctl.targets", "bkctl.cli", "bkctl.render",
                      "bkctl.operations", "bkctl.observe", "bkctl.reconcile", "bkctl.archiver", "bkctl.sources"],
    "bkctl.render": ["bkctl.repo", "bkctl.store", "bkctl.targets", "bkctl.archiver", "bkctl.restorer"],
    "bkctl.cli": ["bkctl.repo", "bkctl.store", "bkctl.archiver", "bkctl.restorer"],
    "bkctl.repo": ["bkctl.targets", "bkctl.planner", "bkctl.cli", "bkctl.manifest", "bkctl.operations"],
    "bkctl.store": ["bkctl.repo", "bkctl.targets", "bkctl.planner", "bkctl.cli", "bkctl.manifest"],
    "bkctl.errors": ["bkctl."],
}
ONLY_STORE_IMPORTS = {"libcloud": "bkctl.store", "ruamel": "bkctl.manifest"}


def _modules() -> list[tuple[str, Path]]:
    result = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "policy_library" in path.parts:
            continue
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(p for p in relative.parts if p != "__init__")
        result.append((name, path))
    return result


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize(("module", "path"), _modules(), ids=lambda v: v if isinstance(v, str) else "")
def test_module_respects_the_layering(module, path):
    imported = _imports(path)
    for prefix, banned in FORBIDDEN.items():
        if module == prefix or module.startswith(prefix + "."):
            bad = sorted(i for i in imported for b in banned if i == b.rstrip(".") or i.startswith(b.rstrip(".") + "."))
            assert not bad, f"{module} must not import {bad}"
    for library, home in ONLY_STORE_IMPORTS.items():
        uses = [i for i in imported if i == library or i.startswith(library + ".")]
        if uses:
            assert module.startswith(home), f"only {home} may import {library}; {module} does"
