"""Duration estimates from load, locate and rate assumptions (no sleeping)."""

from __future__ import annotations

import pytest

from bkctl.model.tape import TapeTiming
from bkctl.tape.estimate import cartridges_needed, estimate_read, estimate_write, timing_for


def test_media_defaults_and_overrides():
    assert timing_for("LTO-8").rate == 360e6
    overridden = timing_for("LTO-8", TapeTiming(rate="100MB", load_seconds=5))
    assert (overridden.rate, overridden.load_seconds, overridden.locate_seconds) == (100e6, 5, 51)


def test_cartridges_needed_counts_spans_after_early_warning():
    assert cartridges_needed(10, capacity=100, early_warning=10) == 1
    assert cartridges_needed(90, capacity=100, early_warning=10) == 1
    assert cartridges_needed(91, capacity=100, early_warning=10) == 2
    assert cartridges_needed(50, capacity=100, early_warning=10, free_on_first=20) == 2
    assert cartridges_needed(50, capacity=100, early_warning=10, free_on_first=0) == 1


def test_a_write_pays_a_load_and_a_locate_per_cartridge_plus_streaming():
    timing = timing_for("LTO-8")
    estimate = estimate_write(timing, 720 * 10**9, cartridges=2)
    assert estimate.seconds == pytest.approx(2 * (15 + 51) + 2000)


def test_a_read_adds_the_recall_lead_time():
    assert estimate_read(timing_for("test"), 100 * 10**6, cartridges=1, recall_seconds=86400).seconds == \
        pytest.approx(86400 + 2 + 1)
