"""The layering rules of STYLE.md, checked on the import statements of every module.

Every import counts, including those under ``if TYPE_CHECKING:`` and inside functions: an
arrow is an arrow for whoever reads the code. docs/architecture.md draws the picture.
"""

from __future__ import annotations

import ast
from functools import cache
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
    "bkctl.cli": ["bkctl.repo", "bkctl.store", "bkctl.archiver", "bkctl.restorer", "bkctl.targets",
                  "bkctl.reconcile"],
    "bkctl.sources": ["bkctl.repo", "bkctl.archiver", "bkctl.targets", "bkctl.restorer", "bkctl.store"],
    "bkctl.repo": ["bkctl.targets", "bkctl.planner", "bkctl.cli", "bkctl.manifest", "bkctl.operations"],
    "bkctl.store": ["bkctl.repo", "bkctl.targets", "bkctl.planner", "bkctl.cli", "bkctl.manifest"],
    "bkctl.errors": ["bkctl."],
}
ONLY_STORE_IMPORTS = {"libcloud": "bkctl.store", "ruamel": "bkctl.manifest"}

# Lowest first. A module may import its own tier and those below it, never one above.
LAYERS = [
    ["", "errors"],  # "" is the bkctl package itself (its version)
    ["secrets", "model", "patterns"],
    ["manifest", "planner", "planfile", "render"],
    ["store", "sources"],
    ["repo"],
    ["archiver", "restorer", "tape"],
    ["targets"],
    ["workspace"],
    ["observe", "reconcile"],
    ["operations"],
    ["cli", "__main__"],
]
TIER = {part: tier for tier, parts in enumerate(LAYERS) for part in parts}


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


def _part(module: str) -> str:
    """``bkctl.repo.index`` -> ``repo``: the top-level package or module a module belongs to."""
    return module.split(".")[1] if "." in module else ""


@cache
def _edges() -> dict[str, set[str]]:
    """module -> bkctl modules it imports; ``from a import b`` counts as ``a.b`` when b is a module."""
    known = {name for name, _ in _modules()}
    graph: dict[str, set[str]] = {}
    for name, path in _modules():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = {f"{node.module}.{alias.name}" for alias in node.names} & known
                targets.update(modules or {node.module})
        graph[name] = {target for target in targets if target in known and target != name}
    return graph


def test_every_package_has_a_layer():
    assert {_part(name) for name, _ in _modules()} <= set(TIER)


@pytest.mark.parametrize(("module", "path"), _modules(), ids=lambda v: v if isinstance(v, str) else "")
def test_no_module_imports_a_higher_layer(module, path):
    upward = sorted(target for target in _edges()[module] if TIER[_part(target)] > TIER[_part(module)])
    assert not upward, f"{module} (layer {_part(module) or 'bkctl'}) imports higher layers: {upward}"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in stack:
                low[node] = min(low[node], index[child])
    return found


def test_no_import_cycle_between_modules():
    assert _cycles(_edges()) == []


def test_no_import_cycle_between_packages():
    packages: dict[str, set[str]] = {}
    for module, targets in _edges().items():
        packages.setdefault(_part(module), set()).update(_part(t) for t in targets if _part(t) != _part(module))
    assert _cycles(packages) == []


def test_the_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
