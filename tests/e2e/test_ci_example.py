"""The shipped GitHub Actions example, its shell steps run as written: green on a good
secret, red on a broken one (a plan that cannot read a target must never pass review)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cli import Runner
from ruamel.yaml import YAML

WORKFLOW = Path(__file__).resolve().parents[2] / "examples" / "ci" / "github-actions.yml"

MANIFEST = """\
version: 1
encryption:
  passphrase_env: BKCTL_PASSPHRASE
targets:
  local: {type: disk, path: ../repo}
policies:
  every-8h:
    schedule: {every: 8h}
    retention: {last: 3}
workloads:
  docs:
    type: files
    paths: [../data]
    policy: every-8h
    targets: [local]
"""


def steps(job: str) -> list[str]:
    """The shell of each step of ``job`` that runs bkctl (installation steps left out)."""
    workflow = YAML(typ="safe").load(WORKFLOW.read_text())
    return [step["run"] for step in workflow["jobs"][job]["steps"]
            if "run" in step and "bkctl " in step["run"] and not step["run"].startswith("pip ")]


@pytest.fixture
def checkout(bkctl: Runner, project: Path) -> Path:
    """A repository as the workflow expects it: the manifest in bkctl/, bkctl on PATH."""
    (project / "bkctl").mkdir()
    (project / "bkctl" / "backups.yaml").write_text(MANIFEST)
    tools = project / "tools"
    tools.mkdir()
    shim = tools / "bkctl"
    # -P: the workflow's bkctl/ folder in the working directory must not shadow the package,
    # as it does not for the console script pip installs.
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -P -m bkctl "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    bkctl.env.update(PATH=f"{tools}{os.pathsep}{bkctl.env['PATH']}", GITHUB_STEP_SUMMARY=str(project / "summary.md"))
    return project


def run_steps(bkctl: Runner, checkout: Path, job: str, passphrase: str) -> list[int]:
    env = {**bkctl.env, "BKCTL_PASSPHRASE": passphrase}
    return [subprocess.run(["bash", "-e", "-c", script], cwd=checkout, env=env, capture_output=True, text=True,
                           timeout=120).returncode for script in steps(job)]


def test_the_workflow_is_green_with_the_right_secret(bkctl: Runner, checkout: Path) -> None:
    assert run_steps(bkctl, checkout, "plan", bkctl.env["BKCTL_PASSPHRASE"]) == [0, 0]  # validate, plan
    assert run_steps(bkctl, checkout, "apply", bkctl.env["BKCTL_PASSPHRASE"]) == [0, 0]  # apply, status
    assert "**Plan: 1 backup, 1 target to initialise.**" in (checkout / "summary.md").read_text()


def test_the_workflow_fails_every_bkctl_step_on_a_broken_secret(bkctl: Runner, checkout: Path) -> None:
    assert run_steps(bkctl, checkout, "apply", bkctl.env["BKCTL_PASSPHRASE"]) == [0, 0]
    broken = "a secret someone rotated"
    plan_codes = run_steps(bkctl, checkout, "plan", broken)
    assert plan_codes[0] == 0 and plan_codes[1] != 0  # validate reads no secret; the plan fails
    assert all(code != 0 for code in run_steps(bkctl, checkout, "apply", broken))
    summary = (checkout / "summary.md").read_text()
    assert "> [!CAUTION]" in summary and "❌" in summary and "wrong or missing passphrase" in summary
    assert "No changes." not in summary


def test_every_job_installs_bkctl_from_its_source_repository() -> None:
    """bkctl is not on PyPI (``pip install bkctl`` would fetch nothing, or someone else's
    package): each job installs it from ``$BKCTL_SOURCE``, which the workflow sets to a
    git URL of the bkctl repository pinned to a tag (a path on the runner works as well)."""
    workflow = YAML(typ="safe").load(WORKFLOW.read_text())
    assert workflow["env"]["BKCTL_SOURCE"].startswith("git+https://") and "@v" in workflow["env"]["BKCTL_SOURCE"]
    for name, job in workflow["jobs"].items():
        installs = [step["run"] for step in job["steps"] if step.get("run", "").startswith("pip ")]
        assert installs == ['pip install "$BKCTL_SOURCE"'], name
