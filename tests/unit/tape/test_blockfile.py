"""A torn tail (a write cut short by a kill) is cut off at the next open; earlier blocks stay."""

from __future__ import annotations

import os

import pytest

from bkctl.tape.blockfile import BLOCK, FILEMARK, BlockFile
from bkctl.tape.sense import MediumError


def written(folder, payloads):
    medium = BlockFile(folder)
    for payload in payloads:
        medium.append(FILEMARK if payload is None else BLOCK, payload or b"")
    medium.sync()
    medium.close()


def test_a_half_written_index_record_is_cut_off(tmp_path):
    written(tmp_path, [b"one", None, b"two"])
    with open(tmp_path / "blocks", "ab") as index:
        index.write(b"\x01\x00\x00")  # a record torn after three bytes
    medium = BlockFile(tmp_path)
    assert [medium.read(i) for i in (0, 2)] == [b"one", b"two"] and len(medium.records) == 3
    assert medium.torn == 1 and os.path.getsize(tmp_path / "blocks") == 3 * 24


def test_a_payload_without_its_record_is_cut_off(tmp_path):
    written(tmp_path, [b"one"])
    with open(tmp_path / "data", "ab") as data:
        data.write(b"orphan bytes")
    medium = BlockFile(tmp_path)
    assert len(medium.records) == 1 and medium.used == 3
    assert os.path.getsize(tmp_path / "data") == 3


def test_a_record_whose_payload_is_short_is_cut_off_with_what_follows(tmp_path):
    written(tmp_path, [b"one", b"two", b"three"])
    os.truncate(tmp_path / "data", 3 + 2)  # "two" lost its last byte, "three" is gone
    medium = BlockFile(tmp_path)
    assert [medium.read(0)] == [b"one"] and len(medium.records) == 1


def test_unsynced_records_are_checked_against_their_payload(tmp_path):
    written(tmp_path, [b"one", b"two"])
    with open(tmp_path / "data", "r+b") as data:
        data.seek(3)
        data.write(b"TWO")  # the page cache never reached the disk: payload differs from its record
    assert len(BlockFile(tmp_path).records) == 2  # a clean cartridge trusts its records
    medium = BlockFile(tmp_path, check_data_from=1)  # dirty: records from 1 on were not synced
    assert len(medium.records) == 1 and medium.torn == 1


def test_a_damaged_synced_block_is_a_medium_error_when_read(tmp_path):
    written(tmp_path, [b"one"])
    with open(tmp_path / "data", "r+b") as data:
        data.write(b"0ne")
    with pytest.raises(MediumError, match="block 0"):
        BlockFile(tmp_path).read(0)
