"""One manifest file -> a Document (plain data plus the file, line and column of every value).

Reading is bounded before parsing starts: only regular files, at most ``MAX_FILE_BYTES``
(read that far and no further, so ``/dev/zero`` or a growing log cannot stall us), strict
UTF-8. Every way a file can fail becomes a Diagnostic with a line and column, never an
exception: hostile input is expected here, since manifests come from pull requests.
"""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from bkctl.errors import Diagnostic
from bkctl.manifest.compose import ComposeProblem, compose
from bkctl.manifest.document import Document, Location, NodePath
from bkctl.manifest.limits import MAX_FILE_BYTES

__all__ = ["Location", "Document", "parse_yaml", "NodePath"]


def parse_yaml(path: Path, display: str) -> Document | Diagnostic:
    """Parse one file; anything that keeps it from being a manifest is a Diagnostic."""
    text = _read_text(path, display)
    if isinstance(text, Diagnostic):
        return text
    try:
        return compose(text, display)
    except ComposeProblem as found:
        return Diagnostic(display, found.line, found.column, "", found.message, found.hint)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        return Diagnostic(display, line, column, "", f"invalid YAML: {problem or exc}")
    except ReaderError as exc:
        line, column = _position(text, exc.position)
        return Diagnostic(display, line, column, "",
                          f"invalid YAML: the character U+{exc.character:04X} is not allowed in YAML",
                          "a manifest holds plain text; remove the character")
    except YAMLError as exc:
        return Diagnostic(display, 1, 1, "", f"invalid YAML: {exc}")


def _read_text(path: Path, display: str) -> str | Diagnostic:
    """The file's text, or why it cannot be a manifest (not a file, too large, not UTF-8)."""
    try:
        if not path.is_file():  # a FIFO would block, a device never end
            return Diagnostic(display, 1, 1, "", "cannot read file: not a regular file")
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return Diagnostic(display, 1, 1, "", f"cannot read file: {exc.strerror or exc}")
    if len(raw) > MAX_FILE_BYTES:
        return Diagnostic(display, 1, 1, "", f"the file is larger than {MAX_FILE_BYTES // 1024} KiB",
                          "split a large manifest into several files of a manifest directory")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return Diagnostic(display, line, column, "", f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x})",
                          "save the manifest as UTF-8")


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character index."""
    index = max(0, min(index, len(text)))
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1
