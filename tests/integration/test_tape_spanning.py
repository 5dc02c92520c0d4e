"""A point larger than two 64 MiB cartridges spans three; labels chain; restore is byte-identical."""

from __future__ import annotations

import os

import pytest
from tape_setup import PASSPHRASE, MiB, back_up, day, digests, make_library, make_repository, restored_files, rules

from bkctl.tape.changer import Changer
from bkctl.tape.keyring import unlock
from bkctl.tape.labels import read_set_label


@pytest.fixture(scope="module")
def spanned(tmp_path_factory):
    """140 MiB of incompressible data written once (compression off), onto 64 MiB cartridges."""
    work = tmp_path_factory.mktemp("spanning")
    source = work / "source"
    (source / "deep").mkdir(parents=True)
    (source / "deep" / "big.bin").write_bytes(os.urandom(140 * MiB))
    (source / "small.txt").write_text("a small file among giants\n")
    repository = make_repository(work / "repo")
    point_id = back_up(repository, source, "giant", day(0))
    library = make_library(work / "library", cartridges=5)
    entry = library.writer(rules(), day(0)).write(repository, point_id, "default")
    return work, source, library, entry


def test_the_point_spans_exactly_three_cartridges_in_order(spanned):
    _, _, library, entry = spanned
    assert [p.cartridge for p in entry.parts] == ["BK0001TT", "BK0002TT", "BK0003TT"]
    assert [p.stream_start for p in entry.parts[1:]] == [p.stream_end for p in entry.parts[:-1]]
    assert entry.stream_length > 2 * 64 * MiB
    states = [library.changer.attributes(b).state for b in ("BK0001TT", "BK0002TT", "BK0003TT", "BK0004TT")]
    assert states == ["full", "full", "append", "blank"]


def test_the_restore_map_lists_those_cartridges_in_reading_order(spanned):
    _, _, library, entry = spanned
    needs = library.restore_map(entry.id)
    assert [(n.barcode, n.location, n.offsite) for n in needs] == [
        ("BK0001TT", "slot 1", False), ("BK0002TT", "slot 2", False), ("BK0003TT", "slot 3", False)]


def test_continuation_labels_chain_the_cartridges(spanned):
    work, _, _, entry = spanned
    changer = Changer.open(work / "library")
    key = unlock(work / "library", PASSPHRASE)
    labels = []
    with changer.session():
        for barcode in ("BK0001TT", "BK0002TT", "BK0003TT"):
            with changer.loaded(barcode) as drive:
                labels.append(read_set_label(drive, key))
    assert [(label.index, label.previous, label.continues) for label in labels] == [
        (0, None, None), (1, "BK0001TT", entry.id), (2, "BK0002TT", entry.id)]
    assert len({label.media_set for label in labels}) == 1


def test_the_point_restores_byte_identical_reading_each_cartridge_once(spanned, tmp_path):
    _, source, library, entry = spanned
    loads_before = [library.changer.attributes(p.cartridge).loads for p in entry.parts]
    assert restored_files(library, entry.id, tmp_path, source) == digests(source)
    loads_after = [library.changer.attributes(p.cartridge).loads for p in entry.parts]
    assert [after - before for before, after in zip(loads_before, loads_after, strict=True)] == [1, 1, 1]
