"""A bare `m` in a duration is refused everywhere a user writes one, with the fix named."""

from __future__ import annotations

from pathlib import Path

from cli import Runner

MANIFEST = """\
version: 1
encryption:
  passphrase_env: BKCTL_PASSPHRASE
targets:
  local:
    type: disk
    path: repo
policies:
  half-year:
    schedule: {every: 8h}
    retention:
      within: 6m
workloads:
  docs:
    type: files
    paths: [data]
    policy: half-year
    targets: [local]
"""


def test_validate_rejects_within_6m_naming_6mo_and_6min_with_file_and_line(bkctl: Runner, tmp_path: Path):
    (tmp_path / "bkctl.yaml").write_text(MANIFEST)
    result = bkctl("validate")
    assert result.returncode == 1
    assert "bkctl.yaml:12:" in result.stderr and "policies.half-year.retention.within" in result.stderr
    assert "'6mo' for months" in result.stderr and "'6min' for minutes" in result.stderr


def test_validate_accepts_the_same_manifest_with_mo(bkctl: Runner, tmp_path: Path):
    (tmp_path / "bkctl.yaml").write_text(MANIFEST.replace("within: 6m", "within: 6mo"))
    result = bkctl("validate")
    assert result.returncode == 0, result.stderr


def test_relative_now_with_a_bare_m_is_a_usage_error_naming_the_fix(bkctl: Runner, tmp_path: Path):
    (tmp_path / "bkctl.yaml").write_text(MANIFEST.replace("within: 6m", "within: 6mo"))
    result = bkctl("plan", "--now", "+5m")
    assert result.returncode == 64
    assert "'5min' for minutes" in result.stderr and "'5mo' for months" in result.stderr


def test_policy_simulate_with_a_bare_m_is_a_usage_error_naming_the_fix(bkctl: Runner):
    result = bkctl("policy", "simulate", "standard", "--every", "30m", "--for", "1d")
    assert result.returncode == 64
    assert "'30min' for minutes" in result.stderr and "'30mo' for months" in result.stderr
