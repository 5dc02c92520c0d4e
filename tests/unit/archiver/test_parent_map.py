"""The parent's file map in the cache: packed records, and maps cached by earlier versions."""

from __future__ import annotations

import json
import os
import struct
import tracemalloc
from array import array
from pathlib import Path

import pytest
import zstandard

from bkctl.archiver import backup_paths, parent
from bkctl.archiver.filerecord import FileRecord, pack_file, record_content, record_extents, record_fields
from bkctl.archiver.files import FilesWalker
from bkctl.archiver.parent import load_file_map, save_file_map
from bkctl.repo import KdfParams, Repository
from bkctl.secrets import Secret
from bkctl.store import MemoryStore


def record_stat(record: FileRecord) -> tuple[int, ...]:
    return record_fields(record)[:4]


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    return Repository.init(MemoryStore(), Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "cache")


def corpus(root: Path) -> Path:
    data = root / "data"
    (data / "sub").mkdir(parents=True)
    (data / "big.bin").write_bytes(os.urandom(400_000))
    (data / "sub" / "small.txt").write_text("small\n")
    return data


def test_the_map_holds_one_compact_entry_per_file(repo, tmp_path):
    data = corpus(tmp_path)
    point = backup_paths(repo, workload="w", host="h", paths=[data])
    files = load_file_map(repo, point)
    entry = files[f"{data.as_posix().lstrip('/')}/big.bin"]
    st = (data / "big.bin").stat()
    assert record_stat(entry) == (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    assert len(record_content(entry)) >= 1 and record_extents(entry) is None
    assert len(entry) == 41 + 32 * len(record_content(entry))  # 41 bytes and a raw id per chunk


def test_a_map_cached_as_objects_by_an_earlier_version_still_spares_reading(repo, tmp_path):
    data = corpus(tmp_path)
    first = backup_paths(repo, workload="w", host="h", paths=[data])
    old = {path: {"type": "file", **dict(zip(("size", "mtime_ns", "ctime_ns", "inode"), record_stat(e), strict=True)),
                  "content": record_content(e)}
           for path, e in load_file_map(repo, first).items()}
    body = zstandard.ZstdCompressor().compress(json.dumps(old).encode())
    repo.cache.put(f"files/{first.id}", repo.key.seal(body, b"bkctl-file-map"))
    second = backup_paths(repo, workload="w", host="h", paths=[data])
    assert second.stats["reused_files"] == 2 and second.stats["bytes_read"] == 0


def test_without_the_cache_the_map_is_rebuilt_from_the_parent_trees(repo, tmp_path):
    data = corpus(tmp_path)
    first = backup_paths(repo, workload="w", host="h", paths=[data])
    cached = load_file_map(repo, first)
    repo.cache.delete(f"files/{first.id}")
    assert load_file_map(repo, first) == cached
    second = backup_paths(repo, workload="w", host="h", paths=[data])
    assert second.stats["reused_files"] == 2 and second.stats["bytes_read"] == 0


def test_times_beyond_64_bits_come_back_as_the_same_integers(repo, tmp_path):
    # A file dated after 2554 (tmpfs and btrfs allow it) has a 20-digit mtime_ns: read
    # back as a float it would never equal the file's own, and be read on every backup.
    far = 32503680000000000000  # the year 3000
    save_file_map(repo, "p1", {"data/future.txt": pack_file(5, far, -(2**64), 2**64 - 1, ["ab" * 32], None)})
    files = load_file_map(repo, type("P", (), {"id": "p1", "root": "x"})())  # type: ignore[arg-type]
    assert record_stat(files["data/future.txt"]) == (5, far, -(2**64), 2**64 - 1)
    assert record_content(files["data/future.txt"]) == ["ab" * 32]
    save_file_map(repo, "p3", {"data/undecodable-\udcff": pack_file(1, far, 3, 4, [], [(0, 4096), (2**40, 1)])})
    files = load_file_map(repo, type("P", (), {"id": "p3", "root": "x"})())  # type: ignore[arg-type]
    assert record_stat(files["data/undecodable-\udcff"])[:2] == (1, far)
    assert record_extents(files["data/undecodable-\udcff"]) == [[0, 4096], [2**40, 1]]
    save_file_map(repo, "p2", {"data/plain.txt": pack_file(5, 6, 7, 8, ["cd" * 32], None)})
    assert record_stat(load_file_map(repo, type("P", (), {"id": "p2", "root": "x"})())["data/plain.txt"])[1] == 6  # type: ignore[arg-type]


def test_a_map_cached_as_lists_by_the_previous_version_is_read(repo, tmp_path):
    data = corpus(tmp_path)
    first = backup_paths(repo, workload="w", host="h", paths=[data])
    lists = {path: [*record_stat(e), record_content(e), None] for path, e in load_file_map(repo, first).items()}
    body = zstandard.ZstdCompressor().compress(json.dumps(lists).encode())
    repo.cache.put(f"files/{first.id}", repo.key.seal(body, b"bkctl-file-map"))
    assert {path: [*record_stat(e), record_content(e), None]
            for path, e in load_file_map(repo, first).items()} == lists
    second = backup_paths(repo, workload="w", host="h", paths=[data])
    assert second.stats["reused_files"] == 2 and second.stats["bytes_read"] == 0


def test_a_json_map_with_times_beyond_64_bits_behind_its_marker_is_read(repo):
    far = 32503680000000000000  # the previous version wrote such maps with the standard encoder after b"J"
    body = b"J" + json.dumps({"data/future.txt": [5, far, 7, 8, ["ab" * 32], [[0, 5]]]}).encode()
    repo.cache.put("files/p4", repo.key.seal(zstandard.ZstdCompressor().compress(body), b"bkctl-file-map"))
    [record] = load_file_map(repo, type("P", (), {"id": "p4", "root": "x"})()).values()  # type: ignore[arg-type]
    assert record_stat(record) == (5, far, 7, 8) and record_extents(record) == [[0, 5]]
    assert record_content(record) == ["ab" * 32]


def test_a_cached_map_that_does_not_add_up_is_rebuilt_from_the_trees(repo, tmp_path, caplog):
    data = corpus(tmp_path)
    first = backup_paths(repo, workload="w", host="h", paths=[data])
    good = load_file_map(repo, first)
    body = zstandard.ZstdDecompressor().decompress(repo.key.open(repo.cache.get(f"files/{first.id}"),
                                                                 b"bkctl-file-map"))
    cut = repo.key.seal(zstandard.ZstdCompressor().compress(body[:-1]), b"bkctl-file-map")
    repo.cache.put(f"files/{first.id}", cut)
    assert load_file_map(repo, first) == good
    assert f"ignoring damaged cache entry files/{first.id}" in caplog.text


@pytest.mark.parametrize("damage", [lambda r: r[:-1], lambda r: b"\x07" + r[1:], lambda r: r[:5], lambda r: b""],
                         ids=["cut-short", "unknown-tag", "no-counts", "empty"])
def test_a_malformed_record_makes_its_file_read_again(repo, tmp_path, damage):
    data = corpus(tmp_path)
    first = backup_paths(repo, workload="w", host="h", paths=[data])
    good = load_file_map(repo, first)
    big = next(path for path in good if path.endswith("big.bin"))
    save_file_map(repo, first.id, {**good, big: damage(good[big])})
    second = backup_paths(repo, workload="w", host="h", paths=[data])
    assert second.stats["reused_files"] == 1 and second.stats["bytes_read"] == 400_000
    assert load_file_map(repo, second)[big] == good[big]  # the file read again has its record back


def test_a_value_no_record_can_hold_leaves_the_file_out_to_be_read_again():
    assert pack_file(1, 2, 3, 2**200, [], None) is None
    assert pack_file(1, 2, 3, 4, ["ab" * 31], None) is None  # not a 32-byte id
    wide = pack_file(2**64, 2, 3, 4, ["ab" * 32, "cd" * 32], [])
    assert wide is not None and record_stat(wide) == (2**64, 2, 3, 4)
    assert record_content(wide) == ["ab" * 32, "cd" * 32] and record_extents(wide) == []


def tree_with_links(root: Path) -> Path:
    data = corpus(root)
    for n in range(20):
        (data / "sub" / f"f{n:02d}.txt").write_text(f"file {n}\n" * (n + 1))
    os.link(data / "sub" / "f00.txt", data / "linked.txt")  # a second name: shares the first's content
    return data


def walked_parent_maps(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, FileRecord]]:
    """The parent map each backup hands its walker, as the walker leaves it."""
    maps: list[dict[str, FileRecord]] = []
    real_init = FilesWalker.__init__

    def keep(self: FilesWalker, **kwargs: object) -> None:
        real_init(self, **kwargs)  # type: ignore[arg-type]
        maps.append(kwargs["parent_files"])  # type: ignore[arg-type]

    monkeypatch.setattr(FilesWalker, "__init__", keep)
    return maps


def cached_map(repo: Repository, point_id: str) -> bytes:
    raw = repo.cache.get(f"files/{point_id}")
    assert raw is not None
    return raw


def test_the_walk_takes_each_parent_entry_as_it_visits_the_file(repo, tmp_path, monkeypatch):
    data = tree_with_links(tmp_path)
    backup_paths(repo, workload="w", host="h", paths=[data])
    maps = walked_parent_maps(monkeypatch)
    backup_paths(repo, workload="w", host="h", paths=[data])
    assert maps[-1] == {}  # every entry taken: the parent's paths and records are not held to the end
    (data / "sub" / "f07.txt").unlink()
    backup_paths(repo, workload="w", host="h", paths=[data])
    assert list(maps[-1]) == [f"{data.as_posix().lstrip('/')}/sub/f07.txt"]  # only the file not walked is left


def test_a_no_change_backup_keeps_the_parents_cached_map_and_any_change_writes_a_new_one(repo, tmp_path):
    data = tree_with_links(tmp_path)
    first = backup_paths(repo, workload="w", host="h", paths=[data])
    second = backup_paths(repo, workload="w", host="h", paths=[data])
    assert cached_map(repo, second.id) == cached_map(repo, first.id)  # copied (a new seal has a new nonce)
    prefix = data.as_posix().lstrip("/")
    (data / "sub" / "f03.txt").unlink()
    third = backup_paths(repo, workload="w", host="h", paths=[data])
    assert cached_map(repo, third.id) != cached_map(repo, second.id)
    assert f"{prefix}/sub/f03.txt" not in load_file_map(repo, third)
    os.link(data / "sub" / "f01.txt", data / "another-name.txt")  # only a new name of a file walked before
    fourth = backup_paths(repo, workload="w", host="h", paths=[data])
    files = load_file_map(repo, fourth)
    assert f"{prefix}/another-name.txt" in files and len(files) == len(load_file_map(repo, third)) + 1


def test_nested_roots_read_the_parent_map_without_taking_from_it(repo, tmp_path, monkeypatch):
    data = tree_with_links(tmp_path)
    roots = [data, data / "sub"]  # the files of sub are walked twice
    first = backup_paths(repo, workload="w", host="h", paths=roots)
    maps = walked_parent_maps(monkeypatch)
    again = backup_paths(repo, workload="w", host="h", paths=roots)
    assert len(maps[-1]) == len(load_file_map(repo, first))
    # Every file but the linked file's later names (linked.txt, and sub/f00.txt walked again) is reused.
    assert again.stats["reused_files"] == first.stats["files"] - 2
    assert again.stats["new_chunks"] == 0 and cached_map(repo, again.id) == cached_map(repo, first.id)


def many_records(count: int) -> dict[str, FileRecord]:
    files = {}
    for n in range(count):
        name = f"srv/project/d{n // 100:04d}/file-{n:06d}.py" if n % 1000 else f"srv/undecodable-\udcff-{n}"
        record = pack_file(7000 + n, 1_700_000_000 * 10**9 + n, 1_700_000_000 * 10**9, 1000 + n,
                           [os.urandom(32).hex()] if n % 3 else [], None)
        assert record is not None
        files[name] = record
    return files


def test_the_body_written_in_pieces_is_the_layout_the_reader_slices():
    files = many_records(3 * parent._PIECE_FILES + 17)  # pieces of paths and records meet at NULs
    size, pieces = parent._body(files)
    body = b"".join(pieces)
    paths = "\0".join(files).encode("utf-8", "surrogatepass")
    lengths = array("I", map(len, files.values()))
    assert body == b"".join((b"BKFM1", struct.pack("<IQ", len(files), len(paths)), lengths.tobytes(), paths,
                             *files.values()))
    assert size == len(body) and parent._decode(body) == files


def test_saving_a_map_never_holds_its_whole_body_beside_the_compressed_copies(repo):
    files = many_records(20_000)
    body = sum(len(path.encode("utf-8", "surrogatepass")) + 1 + 4 + len(record) for path, record in files.items())
    tracemalloc.start()
    try:
        save_file_map(repo, "p1", files)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.4 * body  # joining the body first, then compressing and sealing it, peaked at 2.2x
    assert load_file_map(repo, type("P", (), {"id": "p1", "root": "x"})()) == files  # type: ignore[arg-type]
