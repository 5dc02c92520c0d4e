"""YAML parser events -> a Document, within the bounds of ``limits.py``.

ruamel's composer and constructors recurse once per nesting level (a list nested 1,000 deep
raised RecursionError), the plain data built from them expanded aliases without limit (a
"billion laughs" file hung ``validate``), and they construct merge keys and arbitrary tags.
A manifest needs none of that, so we read the parser's event stream with an explicit stack:
depth, aliases and the expanded size are counted as we go, and the first bound crossed stops
the reading with a ComposeProblem at its line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import StreamMark
from ruamel.yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
)
from ruamel.yaml.scanner import Scanner

from bkctl.manifest.document import Document, Location, NodePath
from bkctl.manifest.limits import MAX_ALIASES, MAX_DEPTH, MAX_VALUES
from bkctl.manifest.scalars import CORE, MERGE, ScalarProblem, check_text, scalar_tag, scalar_value, shown_tag

__all__ = ["ComposeProblem", "compose"]

_TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels"
_TOO_DEEP_HINT = "a manifest needs a few levels of mappings and lists"


class ComposeProblem(Exception):
    """Why a file cannot be read as a manifest, and where (1-based line and column)."""

    def __init__(self, line: int, column: int, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.line, self.column, self.message, self.hint = line, column, message, hint


@dataclass
class _Frame:
    """A list or mapping being filled."""

    container: dict[str, Any] | list[Any]
    path: NodePath
    depth: int
    anchor: str | None
    first_value: int
    deepest: int
    key: str | None = None
    key_location: Location | None = None
    key_lines: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Anchor:
    """A finished anchored value: what an alias shares, and what expanding it costs."""

    data: Any
    path: NodePath
    values: int
    height: int  # levels of lists and mappings, 0 for a scalar


def compose(text: str, file: str) -> Document:
    """Parse ``text`` (one YAML document) into a Document; ComposeProblem or YAMLError if it is not one."""
    builder = _Builder(file)
    yaml = YAML(typ="safe", pure=True)
    yaml.Scanner = _BoundedScanner
    for event in yaml.parse(text):
        builder.feed(event)
    return builder.document()


class _BoundedScanner(Scanner):  # type: ignore[misc]
    """ruamel's scanner, refusing flow nesting past MAX_DEPTH at the bracket that crosses it.

    The scanner keeps a possible simple key for every open '[' and '{' and revisits all of
    them for each token of the next 1,024 characters, so 1,000 brackets on one line cost it
    1.3 s before the first event reaches us; stopped at the bound they cost milliseconds.
    """

    def fetch_flow_collection_start(self, TokenClass: Any, to_push: str) -> None:
        if len(self.flow_context) >= MAX_DEPTH:
            mark = self.reader.get_mark()
            raise ComposeProblem(mark.line + 1, mark.column + 1, _TOO_DEEP, _TOO_DEEP_HINT)
        super().fetch_flow_collection_start(TokenClass, to_push)


class _Builder:
    """Consumes events in order; every method that places a value checks the bounds first."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.stack: list[_Frame] = []
        self.anchors: dict[str, _Anchor] = {}
        self.result = Document(file=file, data=None, values={(): Location(file, 1, 1)})
        self.values = 0
        self.alias_uses = 0
        self.documents = 0
        self.root: Any = None

    def document(self) -> Document:
        self.result.data = self.root
        return self.result

    def feed(self, event: Event) -> None:
        if isinstance(event, DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise self._problem(event.start_mark, "a manifest file holds one YAML document, this is a second",
                                    "remove the '---', or put each document in its own file of a manifest directory")
        elif isinstance(event, ScalarEvent):
            self._scalar(event)
        elif isinstance(event, CollectionStartEvent):
            self._open(event)
        elif isinstance(event, (SequenceEndEvent, MappingEndEvent)):
            self._close()
        elif isinstance(event, AliasEvent):
            self._alias(event)

    def _scalar(self, event: ScalarEvent) -> None:
        tag = scalar_tag(event)
        try:
            if self._wants_key():
                self._key(event, tag)
                return
            value = scalar_value(event.value, tag)
        except ScalarProblem as problem:
            raise self._problem(event.start_mark, problem.message, problem.hint) from None
        path = self._place(event.start_mark)
        self._attach(value)
        if event.anchor:
            self.anchors[event.anchor] = _Anchor(value, path, 1, 0)

    def _key(self, event: ScalarEvent, tag: str) -> None:
        """Keys are text: ``2024:`` names "2024"; merge keys are refused, duplicates too."""
        if tag == MERGE:
            raise ScalarProblem("merge keys ('<<') are not supported",
                                "write the keys out; workloads share schedules and retention through 'policy: NAME'")
        scalar_value(event.value, tag)  # refuses unknown tags and unreadable numbers
        check_text(event.value)
        frame = self.stack[-1]
        if event.value in frame.key_lines:
            first = frame.key_lines[event.value]
            raise ScalarProblem(f"duplicate key '{event.value}'", f"first written at line {first}")
        frame.key = event.value
        frame.key_location = self._location(event.start_mark)
        frame.key_lines[event.value] = frame.key_location.line
        if event.anchor:  # '&name key:' lets '*name' repeat the key's text as a value
            self.anchors[event.anchor] = _Anchor(event.value, (*frame.path, event.value), 1, 0)

    def _open(self, event: CollectionStartEvent) -> None:
        mapping = isinstance(event, MappingStartEvent)
        tag = event.tag
        if tag not in (None, "!", CORE + ("map" if mapping else "seq")):
            raise self._problem(event.start_mark, f"the tag '{shown_tag(str(tag))}' is not supported",
                                "a manifest holds plain text, numbers, true/false, lists and mappings; remove the tag")
        if self._wants_key():
            raise self._problem(event.start_mark, f"a key must be text, not a {'mapping' if mapping else 'list'}")
        depth = len(self.stack) + 1
        if depth > MAX_DEPTH:
            raise self._problem(event.start_mark, _TOO_DEEP, _TOO_DEEP_HINT)
        path = self._place(event.start_mark)
        container: dict[str, Any] | list[Any] = {} if mapping else []
        self._attach(container)
        self.stack.append(_Frame(container, path, depth, event.anchor, self.values - 1, depth))

    def _close(self) -> None:
        frame = self.stack.pop()
        if frame.anchor:
            height = frame.deepest - frame.depth + 1
            self.anchors[frame.anchor] = _Anchor(frame.container, frame.path, self.values - frame.first_value, height)
        if self.stack:
            self.stack[-1].deepest = max(self.stack[-1].deepest, frame.deepest)

    def _alias(self, event: AliasEvent) -> None:
        """An alias shares its anchored value, counted at its full size against the bounds."""
        mark = event.start_mark
        if self._wants_key():
            raise self._problem(mark, "an alias cannot be a key")
        anchor = self.anchors.get(event.anchor)
        if anchor is None:
            open_anchor = any(frame.anchor == event.anchor for frame in self.stack)
            raise self._problem(mark, f"the alias '*{event.anchor}' refers to "
                                + ("a value that contains it" if open_anchor else "no anchor written before it"))
        self.alias_uses += 1
        if self.alias_uses > MAX_ALIASES:
            raise self._problem(mark, f"more than {MAX_ALIASES} aliases in one file")
        if self.values + anchor.values > MAX_VALUES:
            raise self._problem(mark, f"aliases expand this file to more than {MAX_VALUES} values",
                                "each '*alias' counts as a copy of its anchored value; write fewer or smaller ones")
        if len(self.stack) + anchor.height > MAX_DEPTH:
            raise self._problem(mark, f"the alias '*{event.anchor}' expands to {_TOO_DEEP}", _TOO_DEEP_HINT)
        path = self._place(mark)
        self.values += anchor.values - 1
        self._attach(anchor.data)
        self.result.aliases[path] = anchor.path
        if self.stack:
            self.stack[-1].deepest = max(self.stack[-1].deepest, len(self.stack) + anchor.height)

    def _wants_key(self) -> bool:
        frame = self.stack[-1] if self.stack else None
        return frame is not None and isinstance(frame.container, dict) and frame.key is None

    def _place(self, mark: StreamMark) -> NodePath:
        """Count one more value and record where it was written; its path in the document."""
        self.values += 1
        if self.values > MAX_VALUES:
            raise self._problem(mark, f"more than {MAX_VALUES} values in one file")
        if not self.stack:
            return ()
        frame = self.stack[-1]
        location = self._location(mark)
        if isinstance(frame.container, list):
            path = (*frame.path, len(frame.container))
            self.result.keys[path] = location
        else:
            assert frame.key is not None and frame.key_location is not None
            path = (*frame.path, frame.key)
            self.result.keys[path] = frame.key_location
        self.result.values[path] = location
        return path

    def _attach(self, value: Any) -> None:
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            frame.container.append(value)
        else:
            assert frame.key is not None
            frame.container[frame.key] = value
            frame.key = None

    def _location(self, mark: StreamMark) -> Location:
        return Location(self.file, mark.line + 1, mark.column + 1)

    def _problem(self, mark: StreamMark, message: str, hint: str = "") -> ComposeProblem:
        return ComposeProblem(mark.line + 1, mark.column + 1, message, hint)
