"""Progress displays: the figures they show, timed lines off a terminal, silence under --quiet."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bkctl.cli import console
from bkctl.cli.progress_view import ProgressView, Tally, format_seconds, open_view


@pytest.fixture(autouse=True)
def normal_verbosity() -> Iterator[None]:
    console.configure(quiet=False, verbose=False)
    yield
    console.configure(quiet=False, verbose=False)


def test_durations_are_short_for_a_bar_and_exact_enough_for_a_summary() -> None:
    assert [format_seconds(s) for s in (0.04, 9.96, 12.7, 65, 3723)] == ["0.0 s", "10.0 s", "12 s", "1:05", "1:02:03"]


def test_figures_with_a_total_show_both_sides_and_an_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "monotonic", lambda: 1000.0)  # exactly 3 s in, however slow the machine
    tally = Tally(files=120, bytes=3 << 20, total_files=500, total_bytes=12 << 20, started=997.0)
    figures = tally.figures()
    assert figures.startswith("120 of 500 files, 3.0 MiB of 12.0 MiB, 1.0 MiB/s, ETA ")
    assert 8.5 < (tally.eta() or 0) < 9.5 and tally.fraction() == 0.25


def test_figures_without_a_total_show_what_was_done() -> None:
    tally = Tally(files=0, bytes=2048, started=time.monotonic() - 1)
    assert tally.figures().startswith("0 files, 2.0 KiB, ") and tally.eta() is None and tally.fraction() is None


def test_off_a_terminal_a_line_comes_every_interval(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BKCTL_PROGRESS_INTERVAL", "0.05")
    view = open_view("backup docs -> local")
    view.total(2, 2048)
    view.file("data/a.txt")
    view.advance(1024)
    time.sleep(0.4)
    view.close()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "backup docs -> local: started"
    assert len(lines) >= 4 and all(line.startswith("backup docs -> local: 1 of 2 files, 1.0 KiB of 2.0 KiB, ")
                                   and line.endswith("(now data/a.txt)") for line in lines[1:])


def test_verbose_prints_a_line_per_file(capsys: pytest.CaptureFixture[str]) -> None:
    console.configure(quiet=False, verbose=True)
    view = open_view("restore docs")
    view.file("data/a.txt")
    view.close()
    assert "  data/a.txt\n" in capsys.readouterr().err


def test_quiet_draws_nothing_but_still_counts(capsys: pytest.CaptureFixture[str]) -> None:
    console.configure(quiet=True, verbose=False)
    view = open_view("backup docs -> local")
    assert type(view) is ProgressView
    view.file("data/a.txt")
    view.advance(10)
    view.close()
    assert (view.tally.files, view.tally.bytes) == (1, 10) and capsys.readouterr().err == ""
