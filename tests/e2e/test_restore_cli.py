"""``bkctl restore`` as an operator meets it: where files land, damage, existing files, empty includes, depth."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path

from cli import PASSPHRASE, Runner
from crafted_points import commit_deep_point, flip_blob, remove_deep_tree
from servers import PG, fresh_name, psql, require_postgres

from bkctl.repo import Repository
from bkctl.repo.reachability import point_nodes
from bkctl.secrets import Secret
from bkctl.store import LocalStore

STREAM_WORKLOAD = """\
  dump:
    type: command
    command: [head, -c, "3000000", /dev/urandom]
    policy: every-8h
    targets: [local]
"""


def open_repository(project: Path) -> Repository:
    return Repository.open(LocalStore(project / "repo"), Secret(PASSPHRASE), cache_dir=project / "engine-cache")


def flip_file(project: Path, workload: str, suffix: str, chunk: int = 0) -> None:
    repo = open_repository(project)
    [point] = [p for p in repo.list_points() if p.workload == workload]
    node = next(node for path, node in point_nodes(repo, point.root) if path.endswith(suffix))
    flip_blob(repo, node["content"][chunk])


def add_stream_workload(project: Path) -> None:
    manifest = project / "bkctl.yaml"
    manifest.write_text(manifest.read_text() + STREAM_WORKLOAD)


def test_the_summary_says_where_files_landed_and_parents_do_not_get_stored_modes(bkctl: Runner, project: Path):
    os.chmod(project, 0o1777)  # the backed-up folder's parent looks like /tmp
    assert bkctl("backup", "docs").returncode == 0
    result = bkctl("restore", "docs", "--to", "out")
    assert result.returncode == 0, result.stderr
    landed = project / "out" / str(project / "data").lstrip("/")
    assert "Restored 2 files (" in result.stdout
    assert f"into out (as {landed})" in result.stdout
    parent = landed.parent
    assert stat.S_IMODE(parent.stat().st_mode) != 0o1777 and not parent.stat().st_mode & stat.S_ISVTX
    assert (landed / "a.txt").read_text() == "alpha\n" * 100


def test_a_damaged_file_is_named_the_rest_is_restored_and_the_exit_is_67(bkctl: Runner, project: Path):
    assert bkctl("backup", "docs").returncode == 0
    flip_file(project, "docs", "data/a.txt")
    result = bkctl("restore", "docs", "--to", "out")
    assert result.returncode == 67, result.stdout + result.stderr
    landed = project / "out" / str(project / "data").lstrip("/")
    assert f"damaged, not restored: {landed / 'a.txt'}: blob" in result.stderr
    assert "failed authentication" in result.stderr
    assert "restored 1 file (16.0 KiB)" in result.stderr and "1 damaged" in result.stderr
    assert (landed / "sub" / "b.bin").read_bytes() == bytes(range(256)) * 64
    assert not (landed / "a.txt").exists()


def test_existing_files_exit_1_with_the_overwrite_hint_from_every_form(bkctl: Runner, project: Path):
    add_stream_workload(project)
    assert bkctl("backup", "docs").returncode == 0 and bkctl("backup", "dump").returncode == 0
    assert bkctl("restore", "docs", "--to", "out").returncode == 0
    (project / "dump.bin").write_text("mine")
    for args in (["docs", "--to", "out"], ["dump", "--to-file", "dump.bin"]):
        result = bkctl("restore", *args)
        assert result.returncode == 1, (args, result.stderr)
        assert "left alone" in result.stderr and "--overwrite" in result.stderr
    assert (project / "dump.bin").read_text() == "mine"
    assert bkctl("restore", "dump", "--to-file", "dump.bin", "--overwrite").returncode == 0
    assert (project / "dump.bin").stat().st_size == 3_000_000


def test_an_include_that_matches_nothing_exits_66(bkctl: Runner, project: Path):
    assert bkctl("backup", "docs").returncode == 0
    result = bkctl("restore", "docs", "--to", "out", "--include", "missing.txt")
    assert result.returncode == 66, result.stderr
    assert "matched nothing" in result.stderr and str(project / "data").lstrip("/") in result.stderr
    assert list((project / "out").iterdir()) == []


def test_a_damaged_stream_to_standard_output_exits_67_and_says_the_output_is_incomplete(bkctl, project):
    manifest = project / "bkctl.yaml"
    manifest.write_text(manifest.read_text() + STREAM_WORKLOAD.replace(
        '[head, -c, "3000000", /dev/urandom]', "[seq, \"1\", \"700000\"]"))  # text (the runner decodes), several chunks
    assert bkctl("backup", "dump").returncode == 0
    flip_file(project, "dump", "", chunk=1)
    result = bkctl("restore", "dump", "--to-file", "-")
    assert result.returncode == 67
    assert "is damaged after" in result.stderr and "standard output is incomplete" in result.stderr
    assert result.stdout.startswith("1\n2\n3\n") and not result.stdout.endswith("700000\n")


def test_a_point_1100_directories_deep_restores_through_the_cli(bkctl: Runner, project: Path):
    assert bkctl("backup", "docs").returncode == 0
    host = json.loads(bkctl("points", "--json").stdout)["points"][0]["host"]
    deep = commit_deep_point(open_repository(project), 1_100, workload="docs", host=host)
    out = Path(tempfile.mkdtemp(prefix="bk", dir="/tmp" if os.path.isdir("/tmp") else None))
    try:
        result = bkctl("restore", "docs", "--point", deep.id[:8], "--to", str(out))
        assert result.returncode == 0, result.stderr
        assert (Path(str(out) + "/d" * 1_100) / "leaf.txt").read_bytes() == b"deep leaf\n"
        assert f"(as {out}/d)" in result.stdout
    finally:
        remove_deep_tree(out)


def test_a_damaged_database_point_fails_into_and_leaves_the_database_untouched(bkctl: Runner, tmp_path: Path):
    require_postgres()
    source, restored = fresh_name("bkctl_e2e"), fresh_name("bkctl_e2e_into")
    psql("postgres", f"create database {source}")
    psql("postgres", f"create database {restored}")
    try:
        psql(source, "create table t (v int); insert into t select generate_series(1, 1000)")
        (tmp_path / "bkctl.yaml").write_text(
            "version: 1\nencryption: {passphrase_env: BKCTL_PASSPHRASE}\ntargets: {local: {type: disk, path: repo}}\n"
            "policies: {hourly: {schedule: {every: 1h}, retention: {last: 3}}}\nworkloads:\n"
            f"  db: {{type: postgres, server: '{PG['host']}', port: {PG['port']}, user: {PG['user']}, "
            f"database: {source}, policy: hourly, targets: [local]}}\n")
        assert bkctl("backup", "db").returncode == 0
        flip_file(tmp_path, "db", "")
        dsn = f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{restored}"
        result = bkctl("restore", "db", "--into", dsn)
        assert result.returncode == 67, result.stderr
        assert "failed authentication" in result.stderr and "may hold part of the point" in result.stderr
        assert psql(restored, "select count(*) from pg_tables where tablename = 't'") == "0"
    finally:
        psql("postgres", f"drop database if exists {source} with (force)")
        psql("postgres", f"drop database if exists {restored} with (force)")
