"""Restore goes on past damaged data: every intact file written, each damaged one named, exit 67."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from crafted_points import MTIME_NS, flip_blob, pack_of, save_tree
from reopen import fresh

from bkctl.archiver import backup_paths, backup_stream
from bkctl.errors import ExitCode
from bkctl.repo import Repository
from bkctl.repo.points import PointInfo
from bkctl.repo.reachability import point_nodes
from bkctl.restorer import RestoreDamagedError, StreamDamagedError, restore_point, restore_stream

SMALL_FILES = 30


def make_source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "docs").mkdir(parents=True)
    (src / "sub").mkdir()
    for number in range(SMALL_FILES):
        (src / "docs" / f"f{number:02}.txt").write_text(f"file {number}\n" * (number + 1))
    (src / "docs" / "big.bin").write_bytes(os.urandom(3 << 20))
    (src / "sub" / "x.txt").write_text("x")
    os.link(src / "docs" / "f07.txt", src / "sub" / "f07-link.txt")
    for folder, stamp in ((src / "docs", 1), (src / "sub", 2)):
        os.utime(folder, ns=(MTIME_NS + stamp, MTIME_NS + stamp))
    return src


def node_of(repo: Repository, point: PointInfo, suffix: str) -> dict:
    return next(node for path, node in point_nodes(repo, point.root) if path.endswith(suffix))


def restored_files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def source_files(src: Path, out: Path) -> dict[str, bytes]:
    stored = out / src.relative_to("/")
    return {str((stored / p.relative_to(src)).relative_to(out)): p.read_bytes() for p in src.rglob("*") if p.is_file()}


def test_a_damaged_small_file_is_named_and_every_other_file_is_restored(repo, tmp_path):
    src = make_source(tmp_path)
    point = backup_paths(repo, workload="w", host="h", paths=[src])
    flip_blob(repo, node_of(repo, point, "docs/f07.txt")["content"][0])
    out = tmp_path / "out"
    with pytest.raises(RestoreDamagedError) as caught:
        restore_point(fresh(repo, tmp_path), point.id, out)
    back = out / src.relative_to("/")
    damaged = {d.path: d.reason for d in caught.value.stats.damaged}
    assert sorted(damaged) == [str(back / "docs" / "f07.txt"), str(back / "sub" / "f07-link.txt")]
    assert "failed authentication" in damaged[str(back / "docs" / "f07.txt")]
    assert "hard link to" in damaged[str(back / "sub" / "f07-link.txt")]
    expected = source_files(src, out)
    for lost in ("docs/f07.txt", "sub/f07-link.txt"):
        del expected[str((back / lost).relative_to(out))]
    assert restored_files(out) == expected  # no partial file, nothing else missing
    assert caught.value.exit_code == ExitCode.CORRUPT
    assert caught.value.stats.files == SMALL_FILES + 1  # the 29 other small ones, big.bin and x.txt
    assert f"{len(damaged)} damaged" in caught.value.message and "docs/f07.txt" in caught.value.message
    # Directory metadata is still applied after the damage.
    assert os.stat(back / "docs").st_mtime_ns == MTIME_NS + 1
    assert os.stat(back / "sub").st_mtime_ns == MTIME_NS + 2


def test_a_damaged_chunk_of_a_big_file_leaves_no_partial_file(repo, tmp_path):
    src = make_source(tmp_path)
    point = backup_paths(repo, workload="w", host="h", paths=[src])
    content = node_of(repo, point, "docs/big.bin")["content"]
    assert len(content) > 1
    flip_blob(repo, content[len(content) // 2])
    out = tmp_path / "out"
    with pytest.raises(RestoreDamagedError) as caught:
        restore_point(fresh(repo, tmp_path), point.id, out)
    back = out / src.relative_to("/")
    assert [d.stored for d in caught.value.stats.damaged] == [f"{src.relative_to('/')}/docs/big.bin"]
    assert not (back / "docs" / "big.bin").exists()
    assert not [p for p in out.rglob("*") if "partial" in p.name]
    assert (back / "docs" / "f07.txt").read_bytes() == (src / "docs" / "f07.txt").read_bytes()


def test_a_missing_pack_names_the_files_it_held_and_restores_the_rest(repo, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "old.bin").write_bytes(os.urandom(300_000))
    backup_paths(repo, workload="w", host="h", paths=[src])
    (src / "new").mkdir()
    (src / "new" / "kept.txt").write_text("kept")
    point = backup_paths(repo, workload="w", host="h", paths=[src])  # old.bin reused from the first
    lost_pack = pack_of(repo, node_of(repo, point, "old.bin")["content"][0])
    assert lost_pack != pack_of(repo, point.root)
    lost_pack.unlink()
    out = tmp_path / "out"
    with pytest.raises(RestoreDamagedError) as caught:
        restore_point(fresh(repo, tmp_path), point.id, out)
    [damage] = caught.value.stats.damaged
    assert damage.stored.endswith("src/old.bin") and "is missing" in damage.reason
    back = out / src.relative_to("/")
    assert (back / "new" / "kept.txt").read_text() == "kept" and not (back / "old.bin").exists()


def test_a_damaged_directory_listing_skips_only_that_folder(repo, tmp_path):
    src = make_source(tmp_path)
    point = backup_paths(repo, workload="w", host="h", paths=[src])
    flip_blob(repo, node_of(repo, point, "src/sub")["subtree"])
    out = tmp_path / "out"
    with pytest.raises(RestoreDamagedError) as caught:
        restore_point(fresh(repo, tmp_path), point.id, out)
    back = out / src.relative_to("/")
    [damage] = caught.value.stats.damaged
    assert damage.path == str(back / "sub") and damage.stored.endswith("src/sub/")
    assert "directory listing" in damage.reason and "failed authentication" in damage.reason
    assert not (back / "sub").exists(), "an empty folder would look like a restored one"
    assert (back / "docs" / "big.bin").read_bytes() == (src / "docs" / "big.bin").read_bytes()


def test_a_damaged_root_listing_restores_nothing_and_says_so(repo, tmp_path):
    point = backup_paths(repo, workload="w", host="h", paths=[make_source(tmp_path)])
    flip_blob(repo, point.root)
    out = tmp_path / "out"
    with pytest.raises(RestoreDamagedError, match="restored 0 files") as caught:
        restore_point(fresh(repo, tmp_path), point.id, out)
    assert [d.stored for d in caught.value.stats.damaged] == ["/"]
    assert list(out.iterdir()) == []


def test_overwrite_keeps_the_local_file_when_the_stored_copy_is_damaged(repo, tmp_path):
    src = make_source(tmp_path)
    point = backup_paths(repo, workload="w", host="h", paths=[src])
    out = tmp_path / "out"
    restore_point(repo, point.id, out)
    local = out / src.relative_to("/") / "docs" / "big.bin"
    local.write_bytes(b"my local edit")
    content = node_of(repo, point, "docs/big.bin")["content"]
    flip_blob(repo, content[-1])
    with pytest.raises(RestoreDamagedError):
        restore_point(fresh(repo, tmp_path), point.id, out, overwrite=True)
    assert local.read_bytes() == b"my local edit"
    assert not [p for p in out.rglob("*") if "partial" in p.name]


def commit_stream_in_packs(repo: Repository, chunks: list[bytes]) -> PointInfo:
    """A stream point whose chunks each sit in their own pack (the archiver packs them together)."""
    ids = []
    with repo.session():
        for chunk in chunks:
            ids.append(repo.save_blob("d", chunk, None).blob_id.hex())
            repo.flush()
        root = save_tree(repo, [{"name": "dump", "type": "file", "mode": 0o600, "size": sum(map(len, chunks)),
                                 "mtime_ns": MTIME_NS, "content": ids}])
        repo.flush()
        point = PointInfo(id="ab" * 16, workload="w", host="h", time=datetime.now(UTC), partial=False,
                          stats={}, meta={}, kind="stream", root=root, paths=["dump"])
        repo.commit_point(point)
    return point


def test_a_stream_with_a_missing_pack_fails_before_writing_anything(repo, tmp_path):
    chunks = [os.urandom(1000), os.urandom(1000), os.urandom(1000)]
    point = commit_stream_in_packs(repo, chunks)
    node = node_of(repo, point, "dump")
    pack_of(repo, node["content"][1]).unlink()
    out = io.BytesIO()
    with pytest.raises(StreamDamagedError, match="is missing; nothing was written") as caught:
        restore_stream(fresh(repo, tmp_path), point.id, out)
    assert out.getvalue() == b"" and caught.value.written == 0
    assert caught.value.exit_code == ExitCode.CORRUPT


def test_a_stream_stops_at_a_damaged_chunk_and_says_how_much_went_out(repo, tmp_path):
    chunks = [os.urandom(1000), os.urandom(1000), os.urandom(1000)]
    point = commit_stream_in_packs(repo, chunks)
    flip_blob(repo, node_of(repo, point, "dump")["content"][1])
    out = io.BytesIO()
    with pytest.raises(StreamDamagedError, match=r"damaged after 1,000 bytes: .*failed authentication"):
        restore_stream(fresh(repo, tmp_path), point.id, out)
    assert out.getvalue() == chunks[0]


def test_an_intact_stream_still_restores_whole(repo, tmp_path):
    payload = os.urandom(3 << 20)
    point = backup_stream(repo, workload="w", host="h", name="dump", stream=io.BytesIO(payload))
    out = io.BytesIO()
    assert restore_stream(fresh(repo, tmp_path), point.id, out) == len(payload)
    assert out.getvalue() == payload
