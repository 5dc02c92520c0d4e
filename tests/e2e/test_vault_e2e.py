"""Vault targets end to end through the CLI: Azurite (Azure Blob) and moto (S3) on loopback."""

from __future__ import annotations

import filecmp
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from cli import Runner
from objstore import AZURITE_KEY, AzuriteServer, ObjectServer, azurite, object_server  # noqa: F401

MANIFEST = """\
version: 1
encryption:
  passphrase_env: BKCTL_PASSPHRASE
targets:
  cloud:
    type: vault
    provider: {provider}
    container: {container}
    prefix: prod/
    key_env: VAULT_KEY
    secret_env: VAULT_SECRET
    host: 127.0.0.1
    port: {port}
    secure: false
{region}policies:
  every-8h:
    schedule: {{every: 8h}}
    retention: {{last: 3}}
workloads:
  docs:
    type: files
    paths: [data]
    policy: every-8h
    targets: [cloud]
"""


def _vault_project(project: Path, bkctl: Runner, server: ObjectServer) -> str:
    """Point the e2e project's manifest at ``server``; returns the container name."""
    container = f"bkctl-{uuid.uuid4().hex[:12]}"
    region = f"    region: {server.region}\n" if server.region else ""
    (project / "bkctl.yaml").write_text(MANIFEST.format(provider=server.provider, container=container,
                                                        port=server.port, region=region))
    bkctl.env.update(VAULT_KEY=server.key, VAULT_SECRET=server.secret)
    return container


def _assert_restored(bkctl: Runner, project: Path) -> None:
    out = project / "out"
    restored = bkctl("restore", "docs", "--to", str(out))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    # Points keep absolute source paths, so the data folder reappears below `out`.
    copy = out / str(project / "data").lstrip("/")
    comparison = filecmp.dircmp(project / "data", copy)
    assert not (comparison.left_only or comparison.right_only or comparison.diff_files)
    for name in ("a.txt", "sub/b.bin"):
        assert (copy / name).read_bytes() == (project / "data" / name).read_bytes()


def test_plan_apply_restore_round_trips_through_the_vault(
        bkctl: Runner, project: Path, object_server: ObjectServer) -> None:  # noqa: F811
    _vault_project(project, bkctl, object_server)
    plan = bkctl("plan", "--detailed-exitcode")
    assert plan.returncode == 2 and "init-target" in plan.stdout, plan.stdout + plan.stderr
    applied = bkctl("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert bkctl("plan", "--detailed-exitcode").returncode == 0
    _assert_restored(bkctl, project)


def test_a_wrong_azure_key_fails_clearly_and_is_never_printed(
        bkctl: Runner, project: Path, azurite: ObjectServer) -> None:  # noqa: F811
    _vault_project(project, bkctl, azurite)
    wrong = "AAAA" + AZURITE_KEY[4:]
    result = bkctl("apply", "--auto-approve", extra_env={"VAULT_SECRET": wrong})
    assert result.returncode != 0
    assert "credentials rejected" in result.stdout + result.stderr
    assert wrong not in result.stdout + result.stderr and AZURITE_KEY not in result.stdout + result.stderr


def test_stopping_the_server_mid_apply_leaves_no_point_and_a_rerun_completes(
        bkctl: Runner, project: Path, tmp_path: Path) -> None:
    server = AzuriteServer(location=tmp_path / "azurite")
    port = server.start()
    try:
        (project / "data" / "big.bin").write_bytes(os.urandom(48 << 20))  # three 16 MiB packs
        info = server.info()
        container = _vault_project(project, bkctl, info)
        apply = subprocess.Popen([sys.executable, "-m", "bkctl", "apply", "--auto-approve"], cwd=project,
                                 env=bkctl.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        watcher = info.store(container, prefix="prod")
        deadline = time.monotonic() + 30
        while not _first_pack_landed(watcher) and time.monotonic() < deadline and apply.poll() is None:
            time.sleep(0.05)
        server.stop()
        out, err = apply.communicate(timeout=60)
        assert apply.returncode != 0, out + err
        assert "could not connect to the storage endpoint" in out + err and "gave up after 5 tries" in out + err

        server.start(port)
        points = bkctl("points", "--json")
        assert points.returncode == 0 and json.loads(points.stdout)["points"] == [], points.stdout + points.stderr
        rerun = bkctl("apply", "--auto-approve")
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert len(json.loads(bkctl("points", "--json").stdout)["points"]) == 1
        _assert_restored(bkctl, project)
    finally:
        server.stop()


def _first_pack_landed(store: object) -> bool:
    try:
        return any(True for _ in store.list("data/"))  # type: ignore[attr-defined]
    except Exception:
        return False


def test_four_concurrent_backups_into_one_container_all_restore_and_verify(
        bkctl: Runner, project: Path, azurite: ObjectServer) -> None:  # noqa: F811
    _vault_project(project, bkctl, azurite)
    assert bkctl("apply", "--auto-approve").returncode == 0
    runs = []
    for n in range(4):
        (project / "data" / f"run-{n}.bin").write_bytes(os.urandom(256 << 10))
        runs.append(subprocess.Popen([sys.executable, "-m", "bkctl", "backup", "docs"], cwd=project, env=bkctl.env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for run in runs:
        out, err = run.communicate(timeout=60)
        assert run.returncode == 0, out + err
    points = json.loads(bkctl("points", "--json").stdout)["points"]
    assert len(points) == 5
    verified = bkctl("verify", "--read-data", "100")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    for point in points:
        restored = bkctl("restore", "docs", "--point", point["id"], "--to", str(project / "out" / point["id"]))
        assert restored.returncode == 0, restored.stdout + restored.stderr
