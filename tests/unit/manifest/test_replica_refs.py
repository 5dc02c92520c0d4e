"""Replica references are checked like every other reference: all at once, with a hint."""

from pathlib import Path

import pytest

from bkctl.errors import ManifestError
from bkctl.manifest import load_manifest

HEAD = """\
version: 1
encryption:
  passphrase_env: BKCTL_PASSPHRASE
targets:
"""
WORKLOAD = """\
workloads:
  etc:
    type: files
    paths: [/etc]
    policy: standard
    targets: [primary]
"""


def problems(path: Path) -> list[tuple[int, str, str, str]]:
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    return [(d.line, d.path, d.message, d.hint) for d in caught.value.diagnostics]


def test_a_replica_between_two_disk_targets_loads(write_manifest):
    text = HEAD + "  primary: {type: disk, path: a, replica: second}\n  second: {type: disk, path: b}\n"
    manifest = load_manifest(write_manifest(text + WORKLOAD)).manifest
    assert manifest.targets["primary"].replica == "second"


def test_a_replica_policy_from_the_library_is_resolved(write_manifest):
    text = (HEAD + "  primary: {type: disk, path: a, replica: second, replica_policy: archive-99y}\n"
            "  second: {type: disk, path: b}\n")
    manifest = load_manifest(write_manifest(text + WORKLOAD)).manifest
    assert "archive-99y" in manifest.policies


def test_an_unknown_replica_suggests_the_nearest_target(write_manifest):
    text = HEAD + "  primary: {type: disk, path: a, replica: secnd}\n  second: {type: disk, path: b}\n"
    [(line, field, message, hint)] = problems(write_manifest(text + WORKLOAD))
    assert (line, field, message) == (5, "targets.primary.replica", "unknown target 'secnd'")
    assert hint.startswith("did you mean 'second'?")


def test_a_target_cannot_be_its_own_replica(write_manifest):
    text = HEAD + "  primary: {type: disk, path: a, replica: primary}\n"
    [(_, field, message, _)] = problems(write_manifest(text + WORKLOAD))
    assert field == "targets.primary.replica" and "its own replica" in message


def test_a_cycle_of_replicas_is_reported_on_each_member(write_manifest):
    text = (HEAD + "  primary: {type: disk, path: a, replica: second}\n"
            "  second: {type: disk, path: b, replica: primary}\n")
    found = problems(write_manifest(text + WORKLOAD))
    assert [f for _, f, _, _ in found] == ["targets.primary.replica", "targets.second.replica"]
    assert "primary -> second -> primary" in found[0][2]


def test_a_tape_cannot_be_a_replica(write_manifest):
    text = (HEAD + "  primary: {type: disk, path: a, replica: lib}\n"
            "  lib: {type: tape, library: t, cartridges: 2, cartridge_capacity: 1GB}\n")
    [(_, _, message, hint)] = problems(write_manifest(text + WORKLOAD))
    assert "disk and vault targets only" in message and "disk or vault" in hint


def test_an_unknown_replica_policy_is_reported_with_the_valid_names(write_manifest):
    text = (HEAD + "  primary: {type: disk, path: a, replica: second, replica_policy: standrd}\n"
            "  second: {type: disk, path: b}\n")
    [(_, field, message, hint)] = problems(write_manifest(text + WORKLOAD))
    assert (field, message) == ("targets.primary.replica_policy", "unknown policy 'standrd'")
    assert "did you mean 'standard'?" in hint
