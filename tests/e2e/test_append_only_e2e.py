"""Append-only disk targets through the CLI: a writer or manager key backs up and never deletes; the owner prunes.

The owner initialises the repository with the test passphrase; writer and manager keys are
added through the Python API (the engine's ``Repository.add_key``), as `bkctl keys add
--role` does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli import PASSPHRASE, Runner
from conftest import MANIFEST

from bkctl.repo import Repository
from bkctl.secrets import Secret
from bkctl.store import LocalStore

HOST = "web-01"
APPEND_ONLY = f"settings: {{host: {HOST}}}\n" + (
    MANIFEST.replace("    path: repo\n", "    path: repo\n    append_only: true\n")
    .replace("retention: {last: 3}", "retention: {last: 1}"))
KEYS = {"writer": "writer passphrase", "manager": "manager passphrase"}


@pytest.fixture
def append_only(bkctl: Runner, project: Path) -> str:
    """The owner's first recovery point (its id) in an append-only target that has a writer and a manager key."""
    (project / "bkctl.yaml").write_text(APPEND_ONLY)
    first = bkctl("apply", "--auto-approve")
    assert first.returncode == 0, first.stdout + first.stderr
    with Repository.open(LocalStore(project / "repo"), Secret(PASSPHRASE)) as repository:
        repository.add_key(Secret(KEYS["writer"]), role="writer", host=HOST)
        repository.add_key(Secret(KEYS["manager"]), role="manager", host=HOST)
    [point] = point_ids(bkctl)
    return point


def as_key(role: str) -> dict[str, str]:
    return {"BKCTL_PASSPHRASE": KEYS[role]}


def point_ids(bkctl: Runner, role: str | None = None) -> list[str]:
    listed = bkctl("points", "--json", extra_env=as_key(role) if role else None)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    return [str(p["id"]) for p in json.loads(listed.stdout)["points"]]


def history(project: Path) -> set[str]:
    """Every object of the repository a non-owner run must never delete."""
    root = project / "repo"
    return {str(path.relative_to(root)) for path in root.rglob("*")
            if path.is_file() and path.relative_to(root).parts[0] not in ("locks", "runs", "meta")}


def test_a_writer_keeps_backing_up_never_deletes_and_the_plan_says_why(
        bkctl: Runner, project: Path, append_only: str) -> None:
    for step, now in enumerate(["+9h", "+18h"]):
        (project / "data" / f"new-{step}.txt").write_text(f"change {step}\n" * 200)
        before = history(project)
        applied = bkctl("apply", "--auto-approve", "--now", now, extra_env=as_key("writer"))
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert before < history(project)
    assert len(point_ids(bkctl, "writer")) == 3 and append_only in point_ids(bkctl, "writer")

    plan = bkctl("plan", "--now", "+27h", "--json", extra_env=as_key("writer"))
    document = json.loads(plan.stdout)
    assert [a["kind"] for a in document["actions"]] == ["backup"]
    [held] = [w["message"] for w in document["warnings"] if w["kind"] == "kept-append-only"]
    assert held.startswith("2 recovery points of workload 'docs' in target 'local' that the plan would prune "
                           "are kept (") and append_only[:8] in held
    assert "append-only and this run opened it with a writer key; prune with the owner key" in held
    shown = bkctl("plan", "--now", "+27h", extra_env=as_key("writer")).stdout
    assert "Warning [kept-append-only]" in shown and "prune with the owner key" in shown


@pytest.mark.parametrize("role", ["writer", "manager"])
def test_forget_and_reclaim_without_the_owner_key_exit_77_naming_the_target(
        bkctl: Runner, project: Path, append_only: str, role: str) -> None:
    before = history(project)
    forgotten = bkctl("forget", append_only, "--yes", "--allow-last", extra_env=as_key(role))
    assert forgotten.returncode == 77, forgotten.stdout + forgotten.stderr
    assert (f"target 'local' is append-only: a {role} key cannot delete recovery points; that needs the owner key"
            in forgotten.stdout + forgotten.stderr)
    reclaimed = bkctl("reclaim", "--now", extra_env=as_key(role))
    assert reclaimed.returncode == 77, reclaimed.stdout + reclaimed.stderr
    assert "append-only" in reclaimed.stdout + reclaimed.stderr
    assert history(project) == before and point_ids(bkctl) == [append_only]


def test_with_the_owner_key_the_prunes_happen(bkctl: Runner, project: Path, append_only: str) -> None:
    (project / "data" / "new.txt").write_text("changed\n" * 200)
    backed_up = bkctl("apply", "--auto-approve", "--now", "+9h", extra_env=as_key("writer"))
    assert backed_up.returncode == 0, backed_up.stdout + backed_up.stderr
    [_, newest] = point_ids(bkctl)
    applied = bkctl("apply", "--auto-approve", "--now", "+10h")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "prune docs -> local: 1 recovery point deleted" in applied.stdout
    assert point_ids(bkctl) == [newest]
    assert not (project / "repo" / "points" / append_only).exists()
