"""YAML scalars -> None, bool, int, float or str by the YAML 1.2 core schema, and nothing else.

A manifest holds text, numbers, true/false and null. Tags that build other objects
(``!!python/object``, ``!!binary``, ``!!set``, any ``!custom``) are refused rather than
constructed, integers are bounded (Python refuses to read more than 4,300 digits), and NaN or
infinity are refused because no manifest field means them. Resolution always follows YAML 1.2,
ruamel's default, whatever a ``%YAML`` directive says, so ``yes`` stays the text "yes".
"""

from __future__ import annotations

import math
import re
from typing import Any

from ruamel.yaml.events import ScalarEvent
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import Resolver

from bkctl.manifest.limits import MAX_INTEGER

__all__ = ["ScalarProblem", "CORE", "MERGE", "scalar_tag", "scalar_value", "check_text", "shown_tag"]

CORE = "tag:yaml.org,2002:"
MERGE = CORE + "merge"
_STR = CORE + "str"

_RESOLVER = Resolver()  # YAML 1.2 implicit rules; not bound to a parser, so no directive changes them
_INTEGER = re.compile(r"[-+]?(0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9_]+)")
_FLOAT = re.compile(r"[-+]?(\.[0-9_]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?")
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")
_BASES = {"0b": 2, "0o": 8, "0x": 16}
_MAX_DIGITS = 64  # binary digits of MAX_INTEGER; any longer number is too large in every base
# C0/C1 controls (tab and line breaks excepted), lone surrogates, byte-order marks and the
# bidirectional overrides that make text read differently than it runs ("Trojan Source").
_UNSEEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]")


class ScalarProblem(ValueError):
    """A scalar the manifest cannot use; the composer adds its line and column."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def shown_tag(tag: str) -> str:
    """A tag as the user wrote it (``!!int``), shortened for messages."""
    text = "!!" + tag[len(CORE):] if tag.startswith(CORE) else tag
    return text if len(text) <= 60 else text[:57] + "..."


def scalar_tag(event: ScalarEvent) -> str:
    """The tag of a scalar: explicit, or resolved from plain text by YAML 1.2 rules."""
    tag = event.tag
    if tag == "!":  # the non-specific tag: a string, whatever it looks like
        return _STR
    if tag is None:
        return str(_RESOLVER.resolve(ScalarNode, event.value, event.implicit))
    return str(tag)


def scalar_value(text: str, tag: str) -> Any:
    """The Python value of ``text`` under ``tag``; ScalarProblem when it has none in a manifest."""
    kind = tag[len(CORE):] if tag.startswith(CORE) else None
    if kind in ("str", "value", "merge"):  # '<<' and '=' outside a key are just text
        check_text(text)
        return text
    if kind == "null":
        return None
    if kind == "bool":
        return _boolean(text)
    if kind == "int":
        return _integer(text)
    if kind == "float":
        return _number(text)
    if kind == "timestamp":
        if str(_RESOLVER.resolve(ScalarNode, text, (True, False))) != tag:
            raise ScalarProblem(f"cannot read {_short(text)} as a date or time")
        return text  # no manifest field is a date; keep what was written
    raise ScalarProblem(f"the tag '{shown_tag(tag)}' is not supported",
                        "a manifest holds plain text, numbers, true/false, lists and mappings; remove the tag")


def check_text(text: str) -> None:
    """Refuse control and invisible characters, which YAML escapes (``"\\x07"``) let through."""
    found = _UNSEEN.search(text)
    if found:
        raise ScalarProblem(f"the text holds the control or invisible character U+{ord(found.group()):04X}",
                            "a manifest holds plain text; remove the character")


def _boolean(text: str) -> bool:
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    raise ScalarProblem(f"cannot read {_short(text)} as true or false")


def _integer(text: str) -> int:
    match = _INTEGER.fullmatch(text)
    if match is None:
        raise ScalarProblem(f"cannot read {_short(text)} as an integer")
    body = match.group(1).replace("_", "")
    base = _BASES.get(body[:2], 10)
    digits = body[2:] if base != 10 else body
    if not digits:
        raise ScalarProblem(f"cannot read {_short(text)} as an integer")
    significant = digits.lstrip("0") or "0"  # int() counts leading zeros against its 4,300-digit limit
    value = int(significant, base) if len(significant) <= _MAX_DIGITS else MAX_INTEGER + 1
    if value > MAX_INTEGER:
        raise ScalarProblem(f"the number {_short(text)} is too large",
                            f"numbers in a manifest are at most {MAX_INTEGER}")
    return -value if text.startswith("-") else value


def _number(text: str) -> float:
    if _SPECIAL_FLOAT.fullmatch(text):
        raise ScalarProblem(f"{_short(text)} is not a finite number", "NaN and infinity mean nothing in a manifest")
    try:
        value = float(text.replace("_", "")) if _FLOAT.fullmatch(text) else math.nan
    except ValueError:  # '._' matches the YAML pattern but holds no digit
        value = math.nan
    if math.isnan(value):
        raise ScalarProblem(f"cannot read {_short(text)} as a number")
    if not math.isfinite(value):
        raise ScalarProblem(f"the number {_short(text)} is too large")
    return value


def _short(text: str) -> str:
    """``repr`` of a value for a message, cut to 40 characters (a 4,000-digit number says nothing)."""
    return repr(text) if len(text) <= 40 else repr(text[:37]) + "..."
