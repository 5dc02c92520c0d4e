"""`format: incremental` on tape: a full, then points holding only what their chain lacks.

A changing tree is backed up three times into one repository and written into one media
set of an incremental pool: the first point is a full, the next two are based on the point
before. The incrementals hold far fewer bytes on tape; each restores byte-identical from
tape alone (the unchanged file only on the full's stream); header and catalog name base and
format; ``tape scan`` rebuilds the same catalog; a missing or damaged chunk list, or an
expired point in the chain, makes the next write a full; nothing on the cartridges or in
the chunk lists is plaintext.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from tape_setup import PASSPHRASE, MiB, back_up, day, digests, make_library, make_repository, restored_files

from bkctl.tape import PoolRule, TapeLibrary
from bkctl.tape.catalog import CatalogPoint
from bkctl.tape.documents import open_document, read_document
from bkctl.tape.positions import locate_file

CONTENT = b"violet-heron-content-marker-40417 "
NEEDLES = [b"violet-heron-content-marker", b"stable-ledger", b"incremental-workload", b"changing-journal"]
RULES = {"daily": PoolRule("daily", "continue", format="incremental")}


@pytest.fixture
def written(tmp_path):
    """Three points of a changing tree (stable 4 MiB, a changing 256 KiB file, one added, one removed)."""
    source = tmp_path / "tree"
    source.mkdir()
    (source / "stable-ledger.bin").write_bytes(os.urandom(4 * MiB))
    (source / "notes.txt").write_bytes(CONTENT * 3000)
    repository = make_repository(tmp_path / "repo")
    library = make_library(tmp_path / "library", cartridges=3)
    ids, expected = [], {}
    for number in range(3):
        (source / "changing-journal.bin").write_bytes(os.urandom(256 << 10))
        if number == 1:
            (source / "added.bin").write_bytes(os.urandom(64 << 10))
        if number == 2:
            (source / "notes.txt").unlink()
        point_id = back_up(repository, source, "incremental-workload", day(number))
        library.writer(RULES, day(number)).write(repository, point_id, "daily")
        ids.append(point_id)
        expected[point_id] = digests(source)
    return tmp_path, source, repository, library, ids, expected


def entries(library: TapeLibrary) -> dict[str, CatalogPoint]:
    return {p.id: p for _, p in library.points()}


def header_of(library: TapeLibrary, point: CatalogPoint) -> dict:
    part = point.parts[0]
    with library.changer.session(), library.changer.loaded(part.cartridge) as drive:
        locate_file(drive, part.file)
        _, payload = read_document(drive)
    return open_document(library._key, "header", payload, "test")


def chunk_list(library: TapeLibrary, point_id: str) -> Path:
    catalog = next(c for c, p in library.points() if p.id == point_id)
    return library.changer.path / "chunk-lists" / catalog.media_set / point_id


def test_incrementals_name_their_base_and_hold_far_fewer_bytes(written):
    _, _, _, library, (full, first, second), _ = written
    found = entries(library)
    assert [(found[i].format, found[i].base) for i in (full, first, second)] == [
        ("full", None), ("incremental", full), ("incremental", first)]
    for point_id in (full, first, second):
        header = header_of(library, found[point_id])
        assert (header["format"], header["base"]) == (found[point_id].format, found[point_id].base)
    assert found[full].stored_bytes > 4 * MiB
    assert found[first].stored_bytes < found[full].stored_bytes / 8  # 320 KiB of new data and the trees
    assert found[second].stored_bytes < found[full].stored_bytes / 8


def test_every_point_of_the_chain_restores_from_tape_alone(written):
    tmp_path, source, repository, library, ids, expected = written
    shutil.rmtree(repository.store.root)  # tape is the only copy left: the stable file only in the full's stream
    for point_id in reversed(ids):
        assert restored_files(library, point_id, tmp_path, source) == expected[point_id]


def test_a_restore_of_an_incremental_reads_its_chain_and_verify_its_own_stream(written):
    _, _, _, library, (full, first, second), _ = written
    assert [n.barcode for n in library.restore_map(second)] == ["BK0001TT"]
    assert library.verify(second).blobs == entries(library)[second].blobs


@pytest.mark.parametrize("damage", ["missing", "damaged"])
def test_a_chain_without_its_chunk_lists_gets_a_full_next(written, damage):
    tmp_path, source, repository, library, (full, first, second), _ = written
    listed = chunk_list(library, first)
    if damage == "missing":
        listed.unlink()
    else:
        raw = listed.read_bytes()
        listed.write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))  # a flip: writing a 0 was no damage 1 time in 256
    (source / "changing-journal.bin").write_bytes(os.urandom(256 << 10))
    third = back_up(repository, source, "incremental-workload", day(3))
    written_point = library.writer(RULES, day(3)).write(repository, third, "daily")
    assert (written_point.format, written_point.base) == ("full", None)
    assert written_point.stored_bytes > 4 * MiB
    assert restored_files(library, third, tmp_path, source) == digests(source)
    fourth = back_up(repository, source, "incremental-workload", day(4))
    assert library.writer(RULES, day(4)).write(repository, fourth, "daily").base == third  # a new chain


def test_a_chain_with_an_expired_point_gets_a_full_next(written):
    _, source, repository, library, (full, _, _), _ = written
    third = back_up(repository, source, "incremental-workload", day(3))
    writer = library.writer(RULES, day(3), expired_ids=frozenset({full}))
    assert writer.write(repository, third, "daily").format == "full"


def test_a_scan_rebuilds_the_same_catalog_of_incrementals(written):
    _, _, _, library, ids, _ = written
    before = {m: c.canonical() for m, c in library.catalogs.items()}
    for full_scan in (False, True):
        shutil.rmtree(library.changer.path / "catalog")
        library.scan(full=full_scan)
        assert {m: c.canonical() for m, c in library.catalogs.items()} == before
    assert TapeLibrary.open(library.changer.path, PASSPHRASE).catalogs.keys() == before.keys()


def test_no_plaintext_in_cartridges_catalog_or_chunk_lists(written):
    tmp_path, _, _, library, ids, _ = written
    files = [p for p in (tmp_path / "library").rglob("*") if p.is_file()]
    assert sum("chunk-lists" in p.parts for p in files) == len(ids)
    for path in files:
        raw = path.read_bytes()
        assert [n for n in NEEDLES if n in raw] == [], path
