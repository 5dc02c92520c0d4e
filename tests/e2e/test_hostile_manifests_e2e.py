"""Hostile manifests through the real CLI: exit 1, file:line:column, no traceback, no hang.

The loader's fuzz test (tests/unit/manifest/test_fuzz.py) runs 3,000 cases in process; this
runs the worst of each kind as a user would, and the bomb through every command that loads a
manifest, since they all share the loader.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from cli import Runner

HEADER = "version: 1\nencryption: {passphrase_env: BKCTL_PASSPHRASE}\ntargets:\n  local: {type: disk, path: repo}\n"
BOMB = HEADER + "\n".join(
    [f"a0: &a0 [{', '.join(['lol'] * 10)}]"]
    + [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 10)]
) + "\n"

HOSTILE = {
    "alias-bomb": BOMB.encode(),
    "deep-flow": (HEADER + "x: " + "[" * 30000 + "]" * 30000 + "\n").encode(),
    "deep-block": (HEADER + "x:\n" + "- " * 30000 + "x\n").encode(),
    "merge-key": (HEADER + "x: &b {type: files}\nworkloads:\n  w:\n    <<: *b\n").encode(),
    "python-tag": b"version: !!python/object/apply:os.system ['echo pwned']\n",
    "huge-integer": ("version: " + "9" * 4301 + "\n").encode(),
    "not-utf8": HEADER.encode() + b"x: \xff\xfe\n",
    "nan": (HEADER + "settings: {max_prune_per_apply: .nan}\n").encode(),
}
LOCATED = re.compile(r"bkctl\.yaml:\d+:\d+: ")


def _assert_clean_manifest_error(result, seconds: float) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert LOCATED.search(result.stderr), result.stderr
    assert "Internal error" not in output and "Traceback" not in output
    assert seconds < 5.0


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_validate_reports_a_hostile_manifest_as_a_located_error(bkctl: Runner, tmp_path: Path, kind: str):
    (tmp_path / "bkctl.yaml").write_bytes(HOSTILE[kind])
    start = time.perf_counter()
    result = bkctl("validate", timeout=30)
    _assert_clean_manifest_error(result, time.perf_counter() - start)


@pytest.mark.parametrize(
    "command",
    [["plan"], ["apply", "--auto-approve"], ["status"], ["points"], ["policy", "simulate", "standard"]],
    ids=["plan", "apply", "status", "points", "policy-simulate"],
)
def test_every_command_that_loads_a_manifest_refuses_the_alias_bomb_alike(bkctl: Runner, tmp_path: Path, command):
    (tmp_path / "bkctl.yaml").write_text(BOMB)
    start = time.perf_counter()
    result = bkctl(*command, timeout=30)
    _assert_clean_manifest_error(result, time.perf_counter() - start)
    assert "aliases expand this file to more than 20000 values" in result.stderr
