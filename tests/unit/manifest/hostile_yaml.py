"""A deterministic corpus of hostile manifests, for the loader's fuzz tests.

Case ``i`` belongs to family ``i % len(FAMILIES)``, so any prefix of the corpus covers every
family: mutated shipped examples, random documents, alias bombs, deep nesting (flow and
block), merge keys, tags, long scalars, huge integers, special floats, odd keys, odd bytes
and unicode, stream oddities and durations. Each case is drawn from its own seeded
``random.Random``, so case 1234 is the same file on every machine and in every run.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SEEDS = [*sorted((ROOT / "examples").rglob("*.yaml")), *sorted((ROOT / "policies").glob("*.yaml"))]
SEED_TEXTS = [path.read_text(encoding="utf-8") for path in SEEDS]

HEADER = "version: 1\nencryption: {passphrase_env: BKCTL_PASSPHRASE}\ntargets:\n  local: {type: disk, path: repo}\n"
WORKLOAD = "workloads:\n  w:\n    type: files\n    paths: [data]\n    policy: standard\n    targets: [local]\n"
KEYS = ["version", "targets", "workloads", "policies", "type", "path", "paths", "schedule", "retention", "every",
        "within", "daily", "last", "policy", "encryption", "hooks", "timeout", "settings", "read_data", "cartridges"]
SCALARS = ["8h", "15min", "6m", "6mo", "0s", "disk", "vault", "files", "standard", "1.5TB", "800XB", "~", "null",
           "true", "yes", "0x1F", "0o17", "1_000", "1e999", ".nan", "-.inf", "2026-01-01", "=", "<<", "", "-1", "'x'",
           '"\\x07"', '"\\ud800"', '"\\u202e"', "é", "\U0001f600", "99999999999999999999"]
NOISE = ["", ":", "- ", "  ", "\n", "{", "}", "[", "]", "'", '"', "x: y\n", "\t", "&a ", "*a", "!!binary ", "? ",
         "<<: *a\n", "!!python/object:os.system ", "%YAML 1.1\n", "---\n", "...\n", "|\n", ">-\n", "#", "\x00",
         "\ufeff", "\\", "!foo ", "&b [*b]", "\r"]
TAGS = ["!!int", "!!float", "!!bool", "!!null", "!!str", "!!binary", "!!timestamp", "!!set", "!!omap", "!!pairs",
        "!!python/object/apply:os.system", "!!python/name:builtins.eval", "!!map", "!!seq", "!foo", "!",
        "!<tag:example.com,2000:x>", "!!merge", "!!value", "!!yaml"]


@dataclass(frozen=True)
class Case:
    """One hostile manifest: its family, its number and its bytes."""

    family: str
    number: int
    data: bytes

    @property
    def name(self) -> str:
        return f"{self.number:04d}-{self.family}"


def corpus(count: int, seed: int = 20260) -> list[Case]:
    """The first ``count`` cases; the same on every run."""
    cases = []
    for number in range(count):
        family, make = FAMILIES[number % len(FAMILIES)]
        rng = random.Random(seed * 1_000_003 + number)
        data = make(rng)
        cases.append(Case(family, number, data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")))
    return cases


def _mutated_example(rng: random.Random) -> str:
    text = rng.choice(SEED_TEXTS)
    for _ in range(rng.randint(1, 5)):
        at = rng.randint(0, len(text))
        choice = rng.random()
        if choice < 0.5:
            text = text[:at] + rng.choice(NOISE) + text[at:]
        elif choice < 0.7:
            text = text[:at] + text[at + rng.randint(1, 30):]
        elif choice < 0.85:
            text = text[:at] + chr(rng.choice([rng.randint(0, 0x7F), rng.randint(0x80, 0x2FFF)])) + text[at + 1:]
        else:
            end = min(len(text), at + rng.randint(1, 200))
            text = text[:at] + text[at:end] * rng.randint(2, 4) + text[end:]
    return text


def _random_value(rng: random.Random, depth: int) -> object:
    if depth <= 0 or rng.random() < 0.35:
        return rng.choice([rng.choice(SCALARS), rng.randint(-10, 10**6), rng.random(), None, True,
                           "".join(chr(rng.randint(32, 0x2FF)) for _ in range(rng.randint(0, 12)))])
    if rng.random() < 0.5:
        return [_random_value(rng, depth - 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(KEYS) if rng.random() < 0.7 else str(rng.randint(0, 99)): _random_value(rng, depth - 1)
            for _ in range(rng.randint(0, 5))}


def _block(value: object, indent: int = 0) -> str:
    """A small block-style emitter whose scalars are written raw, so they resolve as YAML reads them."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        return "".join(f"{pad}{key}:" + (f"\n{_block(item, indent + 2)}" if isinstance(item, (dict, list)) and item
                                          else f" {_raw(item)}\n") for key, item in value.items())
    if isinstance(value, list) and value:
        return "".join(f"{pad}-" + (f"\n{_block(item, indent + 2)}" if isinstance(item, (dict, list)) and item
                                     else f" {_raw(item)}\n") for item in value)
    return f"{pad}{_raw(value)}\n"


def _raw(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _random_document(rng: random.Random) -> str:
    document = {"version": 1, **{rng.choice(KEYS): _random_value(rng, 4) for _ in range(rng.randint(1, 5))}}
    return json.dumps(document) if rng.random() < 0.4 else _block(document)


def _alias_bomb(rng: random.Random) -> str:
    width, levels = rng.randint(2, 12), rng.randint(3, 12)
    flow = rng.random() < 0.5
    lines = ["a0: &a0 " + ("[" + ", ".join(["lol"] * width) + "]" if flow else "{" + ", ".join(
        f"k{i}: lol" for i in range(width)) + "}")]
    for level in range(1, levels):
        items = [f"*a{level - 1}"] * width
        lines.append(f"a{level}: &a{level} [" + ", ".join(items) + "]" if flow or rng.random() < 0.5
                     else f"a{level}: &a{level}\n" + "".join(f"  - *a{level - 1}\n" for _ in items).rstrip("\n"))
    where = rng.choice(["top", "workload", "policy"])
    body = "\n".join(lines) + "\n"
    if where == "workload":
        return HEADER + "x-anchors:\n" + _indent(body, 2) + WORKLOAD + f"    paths: *a{levels - 1}\n"
    if where == "policy":
        return HEADER + f"{body}policies:\n  p: *a{levels - 1}\n"
    return HEADER + body + f"bomb: *a{levels - 1}\n"


def _indent(text: str, count: int) -> str:
    return "".join(" " * count + line + "\n" for line in text.splitlines())


def _deep_flow(rng: random.Random) -> str:
    depth = rng.choice([rng.randint(20, 60), rng.randint(400, 1200), rng.randint(5000, 30000)])
    opener, closer = rng.choice([("[", "]"), ("{a: ", "}"), ("[{x: ", "}]")])
    tail = closer * depth if rng.random() < 0.9 else closer * rng.randint(0, depth)
    return HEADER + f"{rng.choice(['deep', 'workloads', 'paths'])}: " + opener * depth + "1" + tail + "\n"


def _deep_block(rng: random.Random) -> str:
    """Indented styles grow with depth squared, so they stop near the file bound; '- - - x' does not."""
    style = rng.choice(["map", "seq", "compact"])
    if style == "compact":
        depth = rng.choice([rng.randint(20, 60), rng.randint(400, 1200), rng.randint(5000, 30000)])
        return HEADER + "deep:\n" + "- " * depth + "x\n"
    depth = rng.choice([rng.randint(20, 60), rng.randint(200, 350), 450])
    if style == "seq":
        return HEADER + "deep:\n" + "".join(" " * level + "-\n" for level in range(depth)) + " " * depth + "- x\n"
    return HEADER + "".join(" " * level + f"k{level}:\n" for level in range(depth)) + " " * depth + "v\n"


def _merge_keys(rng: random.Random) -> str:
    form = rng.choice(["<<: *base", "<<: [*base, *more]", "<<: {type: files}", "? <<\n    : *base", "<<: 1"])
    return (HEADER + "x-base: &base {type: files, paths: [data]}\nx-more: &more {policy: standard}\n"
            + "workloads:\n  w:\n    " + form + "\n    targets: [local]\n")


def _tagged(rng: random.Random) -> str:
    tag = rng.choice(TAGS)
    value = rng.choice(["'x'", "1", "8h", "yes", "aGVsbG8=", "{a: 1}", "[1, 2]", "2026-13-45", "", "._", "0x"])
    field = rng.choice(["version", "    last", "    within", "deep", "  local"])
    if field.startswith("    "):
        return HEADER + f"policies:\n  p:\n    schedule: {{every: 8h}}\n    retention:\n{field}: {tag} {value}\n"
    if field == "  local":
        return "version: 1\ntargets:\n  local: " + f"{tag} {value}\n"
    return HEADER.replace("version: 1\n", "") + f"{field}: {tag} {value}\n"


def _long_scalar(rng: random.Random) -> str:
    size = rng.choice([rng.randint(1_000, 5_000), rng.randint(20_000, 60_000), rng.randint(65_000, 90_000)])
    text = "".join(rng.choice("abcxyz09 ") for _ in range(64)) * (size // 64)
    form = rng.choice(["plain", "quoted", "literal", "key"])
    if form == "literal":
        return HEADER + "description: |\n" + "".join(f"  {text[i:i + 80]}\n" for i in range(0, len(text), 80))
    if form == "key":
        return HEADER + f"? {text.strip() or 'k'}\n: 1\n"
    return HEADER + (f"description: '{text}'\n" if form == "quoted" else f"description: x{text.strip()}\n")


def _huge_integer(rng: random.Random) -> str:
    digits = rng.choice([rng.randint(19, 25), rng.randint(4_290, 4_310), rng.randint(5_000, 20_000)])
    number = rng.choice(["", "-", "+"]) + rng.choice(["", "0x", "0o", "0b"]) + "".join(
        rng.choices("0123456789_" if rng.random() < 0.8 else "01", k=digits))
    field = rng.choice(["version", "retention", "size", "duration", "key"])
    if field == "retention":
        return HEADER + f"policies:\n  p:\n    schedule: {{every: 8h}}\n    retention: {{last: {number}}}\n"
    if field == "size":
        return HEADER.replace("{type: disk, path: repo}", "{type: tape, library: l, cartridges: 2, "
                              f"cartridge_capacity: {number}}}")
    if field == "duration":
        every = number.lstrip("+-") + "h"
        return HEADER + f"policies:\n  p:\n    schedule: {{every: {every}}}\n    retention: {{last: 1}}\n"
    if field == "key":
        return HEADER + f"{number}: 1\n"
    return f"version: {number}\n"


def _special_float(rng: random.Random) -> str:
    value = rng.choice([".nan", ".NaN", ".inf", "-.inf", "+.INF", "1e999", "-1e999", "1e-999", "1.", ".5", "._"])
    tag = rng.choice(["", "!!float ", "!!int "])
    return HEADER + (f"policies:\n  p:\n    schedule: {{every: 8h}}\n    retention: {{daily: 3}}\n"
                     f"    verify: {{every: 7d, read_data: {tag}{value}}}\n")


def _odd_keys(rng: random.Random) -> str:
    key = rng.choice(["1", "true", "~", "null", "1.5", "[1, 2]", "{a: 1}", "? [a]\n", "? {b: c}\n", "*x", "''", '""',
                      "'\\x07'", '"\\x07"', '"\\ud800"', "version", "!!int 1", "!!binary aGk=", "!foo k"])
    return HEADER + f"x: &x v\n{key}: 1\n"


def _odd_bytes(rng: random.Random) -> bytes:
    base = HEADER.encode()
    choice = rng.randint(0, 7)
    if choice == 0:
        return base + bytes(rng.randint(0, 255) for _ in range(rng.randint(1, 200)))
    if choice == 1:
        return (HEADER + "x: é\n").encode("utf-16")
    if choice == 2:
        return base + b"x: \xc3\x28\n"
    if choice == 3:
        return b"\xef\xbb\xbf" + base + b"\xef\xbb\xbfx: 1\n"
    if choice == 4:
        return base + b"x: a\x00b\n"
    if choice == 5:
        return base + ("x: " + "".join(chr(rng.randint(0x80, 0x10FFFF)) for _ in range(40))).encode("utf-8",
                                                                                                    "surrogatepass")
    if choice == 6:
        return base + b"x: \xed\xa0\x80\n"  # an encoded surrogate, which is not UTF-8
    return bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 400)))


def _stream_oddity(rng: random.Random) -> str:
    return rng.choice([
        HEADER + "---\n" + HEADER, "%YAML 1.1\n---\n" + HEADER + "x: yes\n", "%YAML 9.9\n---\n" + HEADER,
        "%TAG !e! tag:example.com,2000:\n---\n" + HEADER + "x: !e!foo 1\n", HEADER + "x: &a [1, *a]\n",
        HEADER + "x: *missing\n", HEADER + "x: &a 1\ny: &a 2\nz: *a\n", "", "---\n", "...\n", "# only a comment\n",
        "- 1\n- 2\n", "just text\n", HEADER + "targets: {local: {type: disk, path: repo}}\n",
        HEADER + "policies: [1]\n" + WORKLOAD, HEADER + "workloads: *nope\n", "\t" + HEADER,
    ])


def _duration(rng: random.Random) -> str:
    number = rng.choice(["0", "1", "6", "15", "90", "999999999999", "9" * 50])
    unit = rng.choice(["m", "M", "min", "mo", "MO", "s", "h", "d", "w", "y", "mi", "mins", "", "x", "1h30m"])
    value = number + unit
    field = rng.choice(["every", "within", "timeout"])
    if field == "timeout":
        return HEADER + WORKLOAD + f"    hooks: {{before: [sync], timeout: {value}}}\n"
    body = f"schedule: {{every: {value}}}\n    retention: {{last: 1}}" if field == "every" else (
        f"schedule: {{every: 8h}}\n    retention: {{within: {value}}}")
    return HEADER + f"policies:\n  p:\n    {body}\n"


FAMILIES: list[tuple[str, Callable[[random.Random], str | bytes]]] = [
    ("mutated-example", _mutated_example),
    ("mutated-example", _mutated_example),
    ("random-document", _random_document),
    ("alias-bomb", _alias_bomb),
    ("deep-flow", _deep_flow),
    ("deep-block", _deep_block),
    ("merge-key", _merge_keys),
    ("tag", _tagged),
    ("long-scalar", _long_scalar),
    ("huge-integer", _huge_integer),
    ("special-float", _special_float),
    ("odd-key", _odd_keys),
    ("odd-bytes", _odd_bytes),
    ("stream-oddity", _stream_oddity),
    ("duration", _duration),
]
