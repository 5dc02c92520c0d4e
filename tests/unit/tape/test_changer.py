"""The library directory: layout, barcodes, loads counted, dirty flag, the one-process lock."""

from __future__ import annotations

import pytest

from bkctl.errors import RepositoryLockedError
from bkctl.tape.changer import Changer
from bkctl.tape.description import LibraryDescription
from bkctl.tape.sense import LibraryError

DESCRIPTION = LibraryDescription(media="LTO-8", capacity=8 << 20, drives=1, slots=5, mail_slots=1, cartridges=4,
                                 worm_cartridges=1)


def test_a_new_library_has_blank_cartridges_in_slots_and_worm_ones_apart(tmp_path):
    changer = Changer.ensure(tmp_path, DESCRIPTION)
    assert changer.barcodes() == ["BK0001L8", "BK0002L8", "BK0003L8", "BK9001LY"]
    assert changer.slot_map.slots == ["BK0001L8", "BK0002L8", "BK0003L8", "BK9001LY", None]
    assert [changer.attributes(b).worm for b in changer.barcodes()] == [False, False, False, True]
    assert {changer.attributes(b).state for b in changer.barcodes()} == {"blank"}
    assert (tmp_path / "cartridges" / "BK0001L8" / "attributes.json").is_file()


def test_growing_keeps_existing_barcodes_and_adds_new_ones(tmp_path):
    Changer.ensure(tmp_path, DESCRIPTION)
    bigger = LibraryDescription(media="LTO-8", capacity=8 << 20, drives=2, slots=7, mail_slots=1, cartridges=6,
                                worm_cartridges=2)
    changer = Changer.ensure(tmp_path, bigger)
    assert changer.barcodes() == ["BK0001L8", "BK0002L8", "BK0003L8", "BK0004L8", "BK9001LY", "BK9002LY"]
    assert changer.description.id == Changer.open(tmp_path).description.id
    assert len(changer.slot_map.drives) == 2


def test_loading_counts_marks_dirty_and_unloading_cleans(tmp_path):
    changer = Changer.ensure(tmp_path, DESCRIPTION)
    with changer.session():
        drive = changer.load("BK0002L8")
        assert changer.location("BK0002L8") == "drive 0"
        assert changer.attributes("BK0002L8").dirty
        drive.write_block(b"x" * 10)
        changer.unload(drive)
    attributes = changer.attributes("BK0002L8")
    assert (attributes.loads, attributes.dirty, attributes.bytes_written) == (1, False, 10)
    assert attributes.location == "slot 2"


def test_a_second_cartridge_needs_a_second_drive(tmp_path):
    changer = Changer.ensure(tmp_path, DESCRIPTION)
    with changer.session(), changer.loaded("BK0001L8"), pytest.raises(LibraryError, match="no free drive"):
        changer.load("BK0002L8")


def test_a_drive_left_loaded_by_a_dead_process_is_emptied_and_stays_dirty(tmp_path):
    changer = Changer.ensure(tmp_path, DESCRIPTION)
    with changer.session():
        changer.load("BK0001L8").write_block(b"data")  # never unloaded: the process "died"
    again = Changer.open(tmp_path)
    with again.session():
        assert again.location("BK0001L8") == "slot 1"
        assert again.attributes("BK0001L8").dirty
        with again.loaded("BK0001L8") as drive:
            assert drive.read_block() == b"data"
    assert not again.attributes("BK0001L8").dirty


def test_only_one_process_holds_the_library(tmp_path):
    first = Changer.ensure(tmp_path, DESCRIPTION)
    second = Changer.open(tmp_path)
    with first.session(), pytest.raises(RepositoryLockedError, match="in use"), second.session():
        pass
