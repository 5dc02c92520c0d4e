"""Tables that fit 80 columns: what a user copies stays whole, less important columns go first."""

from __future__ import annotations

from io import StringIO

from rich.console import Console

from bkctl.render.tables import Column, fitted_table, short_id_length


def _render(table: object, width: int) -> list[str]:
    console = Console(file=StringIO(), width=width, no_color=True)
    console.print(table)
    return console.file.getvalue().splitlines()  # type: ignore[attr-defined]


def test_short_ids_are_eight_digits_unless_two_would_share_them() -> None:
    assert short_id_length(["1a2b3c4d5e6f", "9f8e7d6c5b4a"]) == 8
    assert short_id_length(["1a2b3c4d5e6f", "1a2b3c4d9999"]) == 9
    assert short_id_length(["1a2b3c4d5e6f", "1a2b3c4d5e6f"]) == 8  # the same point in two targets
    assert short_id_length([]) == 8


COLUMNS = [Column("id", whole=True), Column("name"), Column("extra", drop=1), Column("more", drop=2),
           Column("status", whole=True)]
ROWS = [["1a2b3c4d", "a fairly long workload name", "x" * 20, "y" * 20, "recovery point objective breached"]]


def test_a_wide_console_shows_every_column() -> None:
    lines = _render(fitted_table(COLUMNS, ROWS, 200), 200)
    assert "extra" in lines[1] and "more" in lines[1] and "recovery point objective breached" in "".join(lines)


def test_a_narrow_console_drops_columns_in_order_and_keeps_ids_and_statuses_whole() -> None:
    lines = _render(fitted_table(COLUMNS, ROWS, 80), 80)
    assert all(len(line) <= 80 for line in lines)
    assert "extra" not in lines[1] and "more" not in lines[1]
    assert any("1a2b3c4d" in line and "recovery point objective breached" in line for line in lines)


def test_free_text_folds_rather_than_losing_characters_when_nothing_is_left_to_drop() -> None:
    rows = [["1a2b3c4d", "z" * 70, "", "", "complete"]]
    lines = _render(fitted_table(COLUMNS, rows, 60), 60)
    assert all(len(line) <= 60 for line in lines)
    assert "".join(line.replace("│", "").replace(" ", "") for line in lines).count("z") == 70
