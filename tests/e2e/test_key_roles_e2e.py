"""Key roles through the command line: a backup host holding only a writer key (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

from cli import Runner

WRITER = {"BKCTL_PASSPHRASE": "writer passphrase of web1", "WRITER_PW": "writer passphrase of web1"}


def test_a_writer_host_backs_up_but_cannot_list_restore_or_delete(bkctl: Runner, project: Path) -> None:
    assert bkctl("apply", "--auto-approve").returncode == 0  # the owner initialises and backs up once
    added = bkctl("keys", "add", "--target", "local", "--role", "writer", "--new-passphrase-env", "WRITER_PW",
                  extra_env={"WRITER_PW": WRITER["WRITER_PW"]})
    assert added.returncode == 0, added.stderr
    assert "added writer key" in added.stdout + added.stderr
    keys = json.loads(bkctl("keys", "list", "--target", "local", "--json").stdout)["keys"]
    assert sorted(key["role"] for key in keys) == ["owner", "writer"]

    for round_no in range(4):  # retention keeps 3: a prune is due, which the writer must not run
        (project / "data" / f"new{round_no}.txt").write_text(f"round {round_no}\n" * 500)
        done = bkctl("backup", "docs", extra_env=WRITER)
        assert done.returncode == 0, done.stderr
    points = json.loads(bkctl("points", "--json", extra_env=WRITER).stdout)["points"]
    assert len(points) == 5  # a writer lists point metadata (times, hosts), never file names
    newest = str(points[-1]["id"])

    stats = bkctl("stats", extra_env=WRITER)  # figures that need trees are withheld, never wrong
    assert stats.returncode == 0 and "stored        unknown" in stats.stdout and "unreferenced" not in stats.stdout
    for command in (("ls", "docs", "--point", newest[:8]), ("restore", "docs", "--to", "out"),
                    ("forget", newest, "--yes"), ("reclaim",), ("verify",),
                    ("keys", "add", "--target", "local", "--new-passphrase-env", "WRITER_PW")):
        refused = bkctl(*command, extra_env=WRITER)
        assert refused.returncode == 77, (command, refused.stdout, refused.stderr)
        assert "writer key" in refused.stderr, (command, refused.stderr)
    assert not (project / "out").exists() or not any((project / "out").rglob("*.txt"))

    plan = bkctl("plan", "--json", extra_env=WRITER)
    document = json.loads(plan.stdout)
    assert [a["kind"] for a in document["actions"] if a["kind"] in ("prune", "reclaim", "verify")] == []
    held = [w for w in document["warnings"] if w["kind"] == "key-role"]
    assert held and "writer key" in held[0]["message"] and "prune" in held[0]["message"]
    owner_plan = json.loads(bkctl("plan", "--json").stdout)
    assert any(a["kind"] == "prune" for a in owner_plan["actions"])

    assert bkctl("restore", "docs", "--to", "out").returncode == 0  # the owner restores what the writer wrote
    restored = next(p for p in (project / "out").rglob("new3.txt"))
    assert restored.read_text() == "round 3\n" * 500


def test_keys_rotate_plans_a_re_encryption_that_apply_carries_out(bkctl: Runner, project: Path) -> None:
    assert bkctl("apply", "--auto-approve").returncode == 0
    assert bkctl("keys", "add", "--target", "local", "--role", "writer", "--new-passphrase-env", "WRITER_PW",
                 extra_env={"WRITER_PW": WRITER["WRITER_PW"]}).returncode == 0
    assert bkctl("backup", "docs", extra_env=WRITER).returncode == 0
    refused = bkctl("keys", "rotate", "--target", "local", extra_env=WRITER)
    assert refused.returncode == 77 and "writer key cannot rotate keys" in refused.stderr
    rotated = bkctl("keys", "rotate", "--target", "local")
    assert rotated.returncode == 0 and "key epoch 1" in rotated.stdout + rotated.stderr

    plan = json.loads(bkctl("plan", "--json").stdout)
    (action,) = [a for a in plan["actions"] if a["kind"] == "re-encrypt"]
    assert action["reason"] == "key-rotation" and "key epoch 1" in action["detail"]
    writer_plan = json.loads(bkctl("plan", "--json", extra_env=WRITER).stdout)
    assert not [a for a in writer_plan["actions"] if a["kind"] == "re-encrypt"]
    (project / "data" / "during.txt").write_text("written while re-encryption is pending\n")
    assert bkctl("backup", "docs", extra_env=WRITER).returncode == 0

    applied = bkctl("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    assert "re-encrypted" in applied.stdout + applied.stderr
    after = json.loads(bkctl("plan", "--json").stdout)
    assert not [a for a in after["actions"] if a["kind"] == "re-encrypt"]
    assert bkctl("verify").returncode == 0
    assert bkctl("restore", "docs", "--to", "out").returncode == 0
    assert next((project / "out").rglob("during.txt")).read_text() == "written while re-encryption is pending\n"


def test_keys_upgrade_turns_an_old_repository_into_one_with_roles(bkctl: Runner, project: Path) -> None:
    from legacy import legacy_repository

    from bkctl.secrets import Secret
    from bkctl.store import LocalStore

    legacy_repository(LocalStore(project / "repo"), Secret(bkctl.env["BKCTL_PASSPHRASE"]), version=2)
    assert bkctl("backup", "docs").returncode == 0
    refused = bkctl("keys", "add", "--target", "local", "--role", "writer", "--new-passphrase-env", "WRITER_PW",
                    extra_env={"WRITER_PW": WRITER["WRITER_PW"]})
    assert refused.returncode == 77 and "keys upgrade" in refused.stderr
    upgraded = bkctl("keys", "upgrade", "--target", "local")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "upgraded to key roles" in upgraded.stdout + upgraded.stderr
    plan = json.loads(bkctl("plan", "--json").stdout)
    assert [a["reason"] for a in plan["actions"] if a["kind"] == "re-encrypt"] == ["key-rotation"]
    assert bkctl("apply", "--auto-approve").returncode == 0
    assert bkctl("keys", "add", "--target", "local", "--role", "writer", "--new-passphrase-env", "WRITER_PW",
                 extra_env={"WRITER_PW": WRITER["WRITER_PW"]}).returncode == 0
    assert bkctl("backup", "docs", extra_env=WRITER).returncode == 0
    assert bkctl("restore", "docs", "--to", "out").returncode == 0
    assert next((project / "out").rglob("a.txt")).read_text() == "alpha\n" * 100
