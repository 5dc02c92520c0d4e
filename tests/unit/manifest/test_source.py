"""Hostile manifest files: each is one diagnostic with its file, line and column, found fast.

Every case here was an "Internal error", a traceback or a hang before the loader was bounded
(issue 9, defect 8): nesting >= ~500 and 4,300-digit integers raised, merge keys and
``!!int 'x'`` crashed the conversion, and alias bombs expanded for minutes.
"""

import os
import time
from pathlib import Path

import pytest

from bkctl.errors import ManifestError
from bkctl.manifest import load_manifest
from bkctl.manifest.limits import MAX_FILE_BYTES

HEADER = "version: 1\nencryption: {passphrase_env: BKCTL_PASSPHRASE}\ntargets:\n  local: {type: disk, path: repo}\n"


def billion_laughs(levels: int = 10, width: int = 10) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * width) + "]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def only_problem(path: Path) -> tuple[int, int, str, str]:
    """Load ``path`` expecting exactly one diagnostic, in that file, within a second."""
    start = time.perf_counter()
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    assert time.perf_counter() - start < 1.0
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.file == str(path)
    return diagnostic.line, diagnostic.column, diagnostic.message, diagnostic.hint


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        (HEADER + billion_laughs(), 9, 10, "aliases expand this file to more than 20000 values"),
        (HEADER + "deep: " + "[" * 1000 + "]" * 1000 + "\n", 5, 39, "nesting deeper than 32 levels"),
        (HEADER + "".join(" " * n + f"k{n}:\n" for n in range(300)) + " " * 300 + "v\n", 37, 33, "nesting deeper"),
        (HEADER + "deep:\n" + "- " * 5000 + "x\n", 6, 63, "nesting deeper than 32 levels"),
        (HEADER + "x: &base {type: files}\nworkloads:\n  w:\n    <<: *base\n", 8, 5, "merge keys"),
        ("version: !!int 'x'\n", 1, 10, "cannot read 'x' as an integer"),
        ("version: !!python/object/apply:os.system ['true']\n", 1, 10, "tag '!!python/object/apply:os.system'"),
        ("version: !custom 1\n", 1, 10, "the tag '!custom' is not supported"),
        ("version: !!binary aGVsbG8=\n", 1, 10, "the tag '!!binary' is not supported"),
        ("version: 1\nx: !!set {a, b}\n", 2, 4, "the tag '!!set' is not supported"),
        ("version: " + "9" * 4301 + "\n", 1, 10, "is too large"),
        ("version: 0x" + "f" * 20 + "\n", 1, 10, "is too large"),
        (HEADER + "settings: {max_prune_per_apply: .nan}\n", 5, 33, "'.nan' is not a finite number"),
        (HEADER + "settings: {max_prune_per_apply: -.inf}\n", 5, 33, "'-.inf' is not a finite number"),
        (HEADER + "settings: {max_prune_per_apply: 1e999}\n", 5, 33, "is too large"),
        (HEADER + "[a, b]: 1\n", 5, 1, "a key must be text, not a list"),
        (HEADER + "? {a: 1}\n: 2\n", 5, 3, "a key must be text, not a mapping"),
        (HEADER + "x: &k key\n*k : 1\n", 6, 1, "an alias cannot be a key"),
        (HEADER + "x: &a [1, *a]\n", 5, 11, "refers to a value that contains it"),
        (HEADER + "x: *nowhere\n", 5, 4, "refers to no anchor written before it"),
        (HEADER + 'x: "bell \\x07"\n', 5, 4, "control or invisible character U+0007"),
        (HEADER + 'x: "\\ud800"\n', 5, 4, "U+D800"),
        (HEADER + 'x: "evil\\u202etxt.sh"\n', 5, 4, "U+202E"),
        (HEADER + "x: a\x00b\n", 5, 5, "U+0000 is not allowed"),
        (HEADER + "---\n" + HEADER, 5, 1, "holds one YAML document"),
        (HEADER + "version: 1\n", 5, 1, "duplicate key 'version'"),
    ],
    ids=["alias-bomb", "deep-flow", "deep-block-map", "deep-block-seq", "merge-key", "int-tag", "python-tag",
         "custom-tag", "binary-tag", "set-tag", "4301-digits", "huge-hex", "nan", "inf", "overflowing-float",
         "list-key", "mapping-key", "alias-key", "recursive-alias", "undefined-alias", "bell", "surrogate",
         "bidi-override", "nul", "two-documents", "duplicate-key"],
)
def test_hostile_yaml_is_one_located_diagnostic(write_manifest, text, line, column, fragment):
    found_line, found_column, message, _ = only_problem(write_manifest(text))
    assert fragment in message
    assert (found_line, found_column) == (line, column)


def test_a_file_over_the_size_bound_is_refused_before_parsing(write_manifest):
    path = write_manifest(HEADER + "description: '" + "x" * MAX_FILE_BYTES + "'\n")
    assert only_problem(path)[:3] == (1, 1, "the file is larger than 64 KiB")


def test_a_file_that_is_not_utf8_names_the_line_and_column_of_the_first_bad_byte(tmp_path):
    path = tmp_path / "bkctl.yaml"
    path.write_bytes(HEADER.encode() + b"x: caf\xe9\n")
    line, column, message, hint = only_problem(path)
    assert (line, column) == (5, 7) and "not UTF-8" in message and "0xe9" in message and "UTF-8" in hint


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bkctl.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + HEADER.encode() + b"workloads: {}\n")
    assert load_manifest(path).manifest.version == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_instead_of_blocking(tmp_path):
    path = tmp_path / "bkctl.yaml"
    os.mkfifo(path)
    assert only_problem(path)[2] == "cannot read file: not a regular file"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_device_is_refused_instead_of_read():
    with pytest.raises(ManifestError, match="not a regular file"):
        load_manifest(Path("/dev/zero"))


def test_an_empty_file_is_one_diagnostic_in_that_file(write_manifest):
    assert only_problem(write_manifest("# nothing yet\n"))[2] == "the manifest is empty"


def test_a_list_at_the_top_names_the_file_in_every_diagnostic(write_manifest):
    path = write_manifest("- version: 1\n")
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    assert {d.file for d in caught.value.diagnostics} == {str(path)}
