"""Bounds on a manifest directory: many files or many bytes are one diagnostic, before parsing."""

import time

import pytest

from bkctl.errors import ManifestError
from bkctl.manifest import load_manifest
from bkctl.manifest.limits import MAX_FILES, MAX_MANIFEST_BYTES


def test_a_directory_of_thousands_of_files_is_refused_at_once(tmp_path):
    folder = tmp_path / "bkctl"
    folder.mkdir()
    for number in range(3000):
        (folder / f"f{number:04d}.yaml").write_text(f"workloads: {{w{number}: {{type: files}}}}\n")
    start = time.perf_counter()
    with pytest.raises(ManifestError) as caught:
        load_manifest(folder)
    assert time.perf_counter() - start < 1.0
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.file == str(folder / f"f{MAX_FILES:04d}.yaml") and (diagnostic.line, diagnostic.column) == (1, 1)
    assert f"holds 3000 YAML files; at most {MAX_FILES}" in diagnostic.message


def test_files_that_together_exceed_the_byte_bound_are_refused_naming_the_file_that_crossed_it(tmp_path):
    folder = tmp_path / "bkctl"
    folder.mkdir()
    comment = "# " + "x" * 60_000 + "\n"
    for number in range(6):
        (folder / f"part{number}.yaml").write_text(comment)
    with pytest.raises(ManifestError) as caught:
        load_manifest(folder)
    [diagnostic] = caught.value.diagnostics
    crossing = MAX_MANIFEST_BYTES // len(comment)
    assert diagnostic.file == str(folder / f"part{crossing}.yaml")
    assert "together exceed 256 KiB" in diagnostic.message
