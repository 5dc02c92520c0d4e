"""The drive API against a plain list model: random operation sequences, WORM included."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from bkctl.tape.attributes import MediumAttributes
from bkctl.tape.blockfile import BlockFile
from bkctl.tape.drive import Drive
from bkctl.tape.sense import BeginningOfMediumError, BlankCheckError, VolumeOverflowError, WriteProtectedError

CAPACITY = 600
EARLY_WARNING = 100
MARK = None  # a filemark in the model
SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def open_drive(folder: Path, worm: bool) -> Drive:
    attributes = MediumAttributes("BK0001TT", worm=worm, capacity=CAPACITY)
    return Drive(0, BlockFile(folder, check_data_from=0), attributes, CAPACITY, EARLY_WARNING)


class DriveAgainstList(RuleBasedStateMachine):
    """``records`` is the tape (bytes for a block, None for a filemark); ``position`` an index in it."""

    @initialize(worm=st.booleans())
    def load(self, worm: bool) -> None:
        # tmpfs when there is one: every filemark fsyncs, which a disk makes slow and tmpfs free
        self.folder = Path(tempfile.mkdtemp(prefix="bkctl-drive-", dir=SCRATCH))
        self.worm = worm
        self.drive = open_drive(self.folder, worm)
        self.records: list[bytes | None] = []
        self.position = 0

    def teardown(self) -> None:
        self.drive.release()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _used(self, records: list[bytes | None]) -> int:
        return sum(len(r) for r in records if r is not MARK)

    def _model_write(self, record: bytes | None) -> type[Exception] | None:
        if self.worm and self.position < len(self.records):
            return WriteProtectedError
        if self._used(self.records[:self.position]) + (len(record) if record else 0) > CAPACITY:
            return VolumeOverflowError
        self.records[self.position:] = [record]
        self.position += 1
        return None

    @rule(payload=st.binary(min_size=1, max_size=90))
    def write_block(self, payload: bytes) -> None:
        expected = self._model_write(payload)
        if expected:
            with pytest.raises(expected):
                self.drive.write_block(payload)
        else:
            self.drive.write_block(payload)

    @rule()
    def write_filemark(self) -> None:
        expected = self._model_write(MARK)
        if expected:
            with pytest.raises(expected):
                self.drive.write_filemark()
        else:
            self.drive.write_filemark()

    @rule()
    def read_block(self) -> None:
        if self.position == len(self.records):
            with pytest.raises(BlankCheckError):
                self.drive.read_block()
            return
        expected = self.records[self.position]
        self.position += 1
        assert self.drive.read_block() == expected

    @rule(count=st.integers(min_value=-3, max_value=3))
    def space_filemarks(self, count: int) -> None:
        position, remaining = self.position, count
        while remaining > 0 and position < len(self.records):
            position += 1
            remaining -= self.records[position - 1] is MARK
        while remaining < 0 and position > 0:
            position -= 1
            remaining += self.records[position] is MARK
        self.position = position
        if remaining > 0:
            with pytest.raises(BlankCheckError):
                self.drive.space_filemarks(count)
        elif remaining < 0:
            with pytest.raises(BeginningOfMediumError):
                self.drive.space_filemarks(count)
        else:
            self.drive.space_filemarks(count)

    @rule()
    def rewind(self) -> None:
        self.drive.rewind()
        self.position = 0

    @rule()
    def seek_eod(self) -> None:
        self.drive.seek_eod()
        self.position = len(self.records)

    @precondition(lambda self: hasattr(self, "drive"))
    @rule()
    def unload_and_load(self) -> None:
        """Everything written survives an unload; the cartridge comes back at the beginning."""
        self.drive.release()
        self.drive = open_drive(self.folder, self.worm)
        self.position = 0

    @invariant()
    def status_matches_the_model(self) -> None:
        if not hasattr(self, "drive"):
            return
        status = self.drive.status()
        before = self.records[:self.position]
        marks = [i for i, r in enumerate(before) if r is MARK]
        assert status.file_number == len(marks)
        assert status.block_number == self.position - (marks[-1] + 1 if marks else 0)
        assert status.at_eod == (self.position == len(self.records))
        assert status.at_bot == (self.position == 0)
        assert status.used == self._used(self.records)
        assert status.early_warning == (self._used(self.records) >= CAPACITY - EARLY_WARNING)


DriveAgainstList.TestCase.settings = settings(max_examples=100, stateful_step_count=40, deadline=None)
test_drive_behaves_like_a_list_of_blocks_and_filemarks = DriveAgainstList.TestCase


def test_worm_refuses_to_overwrite_but_appends(tmp_path):
    drive = open_drive(tmp_path, worm=True)
    drive.write_block(b"first")
    drive.write_filemark()
    drive.rewind()
    with pytest.raises(WriteProtectedError, match="WORM"):
        drive.write_block(b"over")
    drive.seek_eod()
    drive.write_block(b"second")
    drive.rewind()
    assert [drive.read_block(), drive.read_block(), drive.read_block()] == [b"first", None, b"second"]


def test_writing_before_end_of_data_erases_what_follows(tmp_path):
    drive = open_drive(tmp_path, worm=False)
    for payload in (b"a", b"b", b"c"):
        drive.write_block(payload)
    drive.rewind()
    drive.read_block()
    drive.write_block(b"x")
    drive.rewind()
    assert [drive.read_block(), drive.read_block()] == [b"a", b"x"]
    with pytest.raises(BlankCheckError):
        drive.read_block()


def test_erase_cuts_everything_after_the_position_and_worm_refuses_it(tmp_path):
    (tmp_path / "plain").mkdir()
    drive = open_drive(tmp_path / "plain", worm=False)
    drive.write_block(b"label")
    drive.write_filemark()
    drive.write_block(b"set")
    drive.write_filemark()
    drive.rewind()
    drive.space_filemarks(1)
    drive.erase()
    drive.rewind()
    assert [drive.read_block(), drive.read_block()] == [b"label", None]
    with pytest.raises(BlankCheckError):
        drive.read_block()
    (tmp_path / "worm").mkdir()
    worm = open_drive(tmp_path / "worm", worm=True)
    worm.write_block(b"label")
    worm.rewind()
    with pytest.raises(WriteProtectedError):
        worm.erase()
    worm.seek_eod()
    worm.erase()  # nothing after the position: nothing to refuse
