"""`bkctl validate` and `bkctl schema` as a user runs them: exit codes, output, no tracebacks."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def bkctl(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bkctl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_valid_example_exits_zero():
    result = bkctl("validate", "examples/quickstart.yaml")
    assert result.returncode == 0, result.stderr
    assert "is valid" in result.stdout


def test_invalid_manifest_exits_one_with_file_line_and_no_traceback(tmp_path):
    (tmp_path / "bkctl.yaml").write_text("version: 1\ntargets:\n  x: {type: disk}\nbogus: 1\n")
    result = bkctl("validate", cwd=tmp_path)
    assert result.returncode == 1
    assert "bkctl.yaml:3:" in result.stderr and "bkctl.yaml:4:1" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_json_output_lists_diagnostics(tmp_path):
    (tmp_path / "m.yaml").write_text("version: 2\n")
    result = bkctl("validate", "m.yaml", "--json", cwd=tmp_path)
    assert result.returncode == 1
    payload = json.loads(result.stdout)
    assert payload["valid"] is False
    assert payload["diagnostics"][0]["path"] == "version" and payload["diagnostics"][0]["line"] == 1


def test_missing_manifest_is_a_clear_error(tmp_path):
    result = bkctl("validate", cwd=tmp_path)
    assert result.returncode != 0 and "no manifest" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["valdate"], ["validate", "--bogus"]])
def test_usage_errors_exit_64_without_traceback(args):
    result = bkctl(*args)
    assert result.returncode == 64 and "Traceback" not in result.stderr


def test_schema_command_prints_the_committed_schema():
    result = bkctl("schema")
    assert result.returncode == 0
    assert result.stdout == (ROOT / "schemas" / "bkctl.schema.json").read_text()
