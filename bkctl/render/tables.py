"""Text tables that fit the terminal without cutting what a user must copy.

Ids, times and statuses are copied into the next command (``--point 1a2b3c4d``) or read
at a glance, so their columns are never wrapped or cut. When a table is wider than the
console (80 columns is the common case), the least important columns are dropped first
(each column says in which order), and what remains of the free text (names) folds onto
more lines rather than losing characters. Point ids are shown as restic shows them: the
first 8 hex digits, longer only when two listed points would share a prefix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from rich.table import Table
from rich.text import Text

__all__ = ["Column", "SHORT_ID_LENGTH", "short_id_length", "fitted_table"]

SHORT_ID_LENGTH = 8
Cell = str | Text


@dataclass(frozen=True)
class Column:
    """``whole``: never wrapped nor dropped (ids, times, statuses). ``drop``: the order in which
    columns go when the table is too wide (1 first); None keeps the column."""

    header: str
    whole: bool = False
    drop: int | None = None
    justify: str = "left"


def short_id_length(ids: Iterable[str]) -> int:
    """The shortest prefix length (at least 8) that tells the given ids apart."""
    distinct = sorted(set(ids))
    length = SHORT_ID_LENGTH
    for before, after in pairwise(distinct):
        common = next((i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b),
                      min(len(before), len(after)))
        length = max(length, common + 1)
    return length


def _width(cell: Cell) -> int:
    text = cell.plain if isinstance(cell, Text) else cell
    return max((len(line) for line in text.splitlines()), default=0)


def _content(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], index: int) -> int:
    return max([len(columns[index].header), *(_width(row[index]) for row in rows)])


def _needed(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], keep: Sequence[int]) -> int:
    """Width of the table with the columns ``keep``: content, padding 1 each side, borders."""
    return sum(_content(columns, rows, i) for i in keep) + 3 * len(keep) + 1


def fitted_table(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int) -> Table:
    """A rich Table of ``rows`` that fits ``width``, dropping columns in their ``drop`` order."""
    keep = list(range(len(columns)))
    for index in sorted((i for i, c in enumerate(columns) if c.drop is not None), key=lambda i: columns[i].drop or 0):
        if _needed(columns, rows, keep) <= width:
            break
        keep.remove(index)
    table = Table()
    for i in keep:
        column = columns[i]
        table.add_column(column.header, no_wrap=column.whole, overflow="fold",
                         justify="right" if column.justify == "right" else "left",
                         min_width=_content(columns, rows, i) if column.whole else None)
    for row in rows:
        table.add_row(*(row[i] for i in keep))
    return table
