"""Recycling a cartridge on its own (a plan's recycle-cartridge): refused while a point on it
lives, then back to scratch with its volume label, its set's catalog without it."""

from __future__ import annotations

from pathlib import Path

import pytest
from tape_setup import PASSPHRASE, MiB, back_up, day, make_library, make_repository, random_files

from bkctl.errors import UsageError
from bkctl.model.units import parse_duration
from bkctl.tape import PoolRule, TapeLibrary


def test_a_cartridge_is_erased_back_to_scratch_only_once_its_points_expired(tmp_path: Path) -> None:
    library = make_library(tmp_path / "library", cartridges=3, capacity=4 * MiB)
    repository = make_repository(tmp_path / "repo")
    source = random_files(tmp_path / "data", {"big.bin": 5 * MiB})
    rules = {"rolling": PoolRule("rolling", "continue", parse_duration("2d"))}
    spanning = back_up(repository, source, "docs", day(0))
    library.writer(rules, day(0)).write(repository, spanning, "rolling")
    random_files(tmp_path / "data", {"big.bin": MiB})
    later = back_up(repository, source, "docs", day(1.5))
    library.writer(rules, day(1.5)).write(repository, later, "rolling")
    first, second = sorted(library.changer.barcodes())[:2]

    with pytest.raises(UsageError, match="cannot be recycled"):
        library.recycle(first, rules, day(1))  # the spanning point lives
    with pytest.raises(UsageError, match="cannot be recycled"):
        library.recycle(second, rules, day(3))  # the later point on it lives
    library.recycle(first, rules, day(3))

    reopened = TapeLibrary.open(tmp_path / "library", PASSPHRASE)
    attributes = reopened.changer.attributes(first)
    assert (attributes.state, attributes.media_set, attributes.labelled is not None) == ("scratch", None, True)
    assert [p.id for _, p in reopened.points()] == [later]
    assert reopened.out_of_sync() == []
    random_files(tmp_path / "data", {"big.bin": 2 * MiB})
    entry = reopened.writer(rules, day(3)).write(repository, back_up(repository, source, "docs", day(3)), "rolling")
    assert entry.cartridges() == [second, first]  # the recycled one is scratch again, lowest barcode first
