"""The Source protocol: a workload reader produces the items to save and never touches storage.

A source knows how to get consistent data out of its workload (check the paths, copy a
SQLite file through the online backup API, start a dump tool); the target driver knows
where the data goes. So ``Source.open()`` is a context manager that yields *items*, and
the driver hands them to the archiver while the context is open. Whatever the source
started (a process, a temporary copy) is cleaned up when the context closes, whether the
save worked or not.

Two kinds of items exist, matching the two kinds of recovery points:

- :class:`PathItems`: files and folders, walked by the archiver with the patterns given;
- :class:`StreamItem`: one stream saved as one file; ``facts`` go into the point's meta.

A stream that must not be committed when its producer fails (a dump tool exiting with an
error) raises from ``read`` at end of input: the archiver reads to the end before it
writes the point document, so the failure comes first and nothing is committed.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

__all__ = ["Fact", "Facts", "Items", "PathItems", "StreamItem", "Source", "Preflight"]

Fact = str | int | float | bool | list[str] | None
"""A value a source records about its data in the point's meta (a tool version, a page count)."""

Facts = Mapping[str, Fact]


@dataclass(frozen=True)
class PathItems:
    """Paths (absolute, checked to exist) for the archiver to walk, with gitignore-style patterns."""

    paths: tuple[Path, ...]
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    one_file_system: bool = False


@dataclass(frozen=True)
class StreamItem:
    """One stream saved as one file named ``name`` (a plain file name, no ``/``)."""

    name: str
    stream: BinaryIO
    facts: Facts = field(default_factory=dict)


Items = PathItems | StreamItem


class Source(Protocol):
    """A workload reader: yields what to save; clean-up happens when the context closes."""

    @property
    def kind(self) -> str: ...

    def open(self, workload: str) -> AbstractContextManager[Items]:
        """Prepare the workload's data; ``workload`` only names it in error messages."""
        ...


@runtime_checkable
class Preflight(Protocol):
    """A source that can tell, without backing up, what would make its backup fail.

    Plan shows these as warnings (a missing dump tool, an unreachable server) so an
    operator learns of them before a backup is due.
    """

    def problems(self) -> list[str]: ...
