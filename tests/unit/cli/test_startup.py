"""Start-up imports only what the command needs (docs/performance.md, "Planning at fleet scale and start-up").

Every bkctl command pays for what ``bkctl.cli.main`` imports, ``--help`` included. The
engine (target drivers, archiver, restorer, tape) loads with the first target driver and
jinja2 with the views that use it; a module-level import added back would silently put
them on every start-up again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
LATER = ("bkctl.targets.registry", "bkctl.targets.repository", "bkctl.targets.tape", "bkctl.archiver",
         "bkctl.restorer", "bkctl.repo", "bkctl.tape", "bkctl.reconcile", "jinja2", "libcloud", "mfusepy",
         "zstandard")


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_the_command_line_loads_no_engine_module_until_a_command_runs() -> None:
    loaded = _loaded_after("import bkctl.cli.main")
    assert "bkctl.cli.plan" in loaded  # the probe did load the commands
    assert sorted(m for m in loaded if m.split(".")[0] in {"jinja2", "libcloud", "mfusepy", "zstandard"}
                  or m.startswith(LATER)) == []


def test_operations_still_offers_every_use_case_by_name() -> None:
    loaded = _loaded_after("from bkctl import operations\nfrom bkctl.operations import plan, restore, ApplyResult")
    assert {"bkctl.operations.planning", "bkctl.operations.points", "bkctl.reconcile"} <= loaded
    assert "bkctl.operations.tape" not in loaded


def test_the_engine_loads_neither_the_manifest_models_nor_pattern_matching() -> None:
    """A backup or restore through the engine alone (bench/run_bench.py) skips pydantic's
    models (0.1 s) and pathspec, which imports asyncio (25 ms), unless patterns are used."""
    loaded = _loaded_after("import bkctl.archiver, bkctl.restorer, bkctl.repo, bkctl.store")
    assert "bkctl.model.units" in loaded
    assert sorted(m for m in loaded if m in {"bkctl.model.manifest", "pydantic", "pathspec", "asyncio"}) == []
    assert {"bkctl.model.manifest", "pathspec"} <= _loaded_after(
        "import bkctl.model\nbkctl.model.Manifest\nfrom bkctl.patterns import compile_patterns\n"
        "compile_patterns(['*.tmp'])")


def test_a_disk_target_driver_loads_no_object_store_client() -> None:
    """libcloud (and requests under it) is for vaults; key rotation once pulled it in for every target."""
    loaded = _loaded_after("import bkctl.targets.repository, bkctl.targets.registry, bkctl.repo.rotation")
    assert sorted(m for m in loaded if m.split(".")[0] in {"libcloud", "requests"}) == []
