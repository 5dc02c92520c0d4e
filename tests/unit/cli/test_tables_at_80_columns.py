"""``points`` and ``status`` on an 80-column terminal: ids, times and statuses stay whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

from rich.console import Console

from bkctl.cli.points import points_table
from bkctl.cli.status import status_table
from bkctl.model.state import PointRecord
from bkctl.operations import PointRow, StatusRow

WHEN = datetime(2026, 11, 30, 7, 37, 40, tzinfo=UTC)


def _screen(table: object, width: int = 80) -> str:
    console = Console(file=StringIO(), width=width, no_color=True)
    console.print(table)
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


def _row(number: int, workload: str = "postgres-customer-database", host: str = "db-primary.example.internal",
         ) -> PointRow:
    point = PointRecord(id=f"{number:02d}c14d6f83a{'0' * 21}", workload=workload, host=host,
                        time=WHEN + timedelta(hours=number), bytes=123_456_789_012, stored_bytes=9_876_543_210,
                        partial=number == 2)
    return PointRow("offsite-vault-frankfurt", point)


def test_points_show_whole_short_ids_times_and_states_in_80_columns() -> None:
    rows = [_row(1), _row(2), _row(3)]
    screen = _screen(points_table(rows, 80))
    assert all(len(line) <= 80 for line in screen.splitlines())
    for row in rows:
        line = next(line for line in screen.splitlines() if row.point.id[:8] in line)
        assert row.point.time.strftime("%Y-%m-%d %H:%M:%S") in line
        assert ("partial" if row.point.partial else "complete") in line


def test_points_keep_every_column_on_a_wide_terminal() -> None:
    screen = _screen(points_table([_row(1)], 200), 200)
    assert "db-primary.example.internal" in screen and "9.2 GiB" in screen and "115.0 GiB" in screen


def test_points_that_share_eight_digits_are_shown_with_more() -> None:
    first, second = _row(1), _row(1)
    second = PointRow(second.target, second.point.model_copy(update={"id": first.point.id[:8] + "f" * 24}))
    screen = _screen(points_table([first, second], 80))
    assert first.point.id[:9] in screen and second.point.id[:9] in screen


def test_status_shows_whole_times_and_statuses_in_80_columns() -> None:
    rows = [StatusRow("postgres-customer-database", "offsite-vault-frankfurt", "db", WHEN, 3600.0, 28800.0, 12,
                      123_456_789, False, "recovery point objective breached"),
            StatusRow("etc", "local", "db", None, None, 28800.0, None, None, False, "unreachable: wrong passphrase",
                      reachable=False, error_code=65)]
    screen = _screen(status_table(rows, False, 80))
    assert all(len(line) <= 80 for line in screen.splitlines())
    breached = next(line for line in screen.splitlines() if "2026-11-30 07:37" in line)
    assert "breached" in breached and "1h00m" in breached
    assert any("unreachable" in line for line in screen.splitlines())
