"""Tape targets in manifests: defaults, pools, vaults, copy_from, and mistakes explained."""

from __future__ import annotations

from pathlib import Path

import pytest

from bkctl.errors import ManifestError
from bkctl.manifest import load_manifest

HEAD = """\
version: 1
encryption:
  passphrase_env: BKCTL_PASSPHRASE
targets:
  nearline: {type: disk, path: a}
  lib:
    type: tape
    library: t
"""
WORKLOAD = """\
workloads:
  etc:
    type: files
    paths: [/etc]
    policy: standard
    targets: [nearline]
"""


def problems(path: Path) -> list[tuple[str, str, str]]:
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    return [(d.path, d.message, d.hint) for d in caught.value.diagnostics]


def test_a_minimal_tape_target_takes_its_capacity_from_the_media(write_manifest):
    target = load_manifest(write_manifest(HEAD + "    cartridges: 4\n" + WORKLOAD)).manifest.targets["lib"]
    assert (target.media, target.capacity(), target.drives, target.format) == ("LTO-8", 12 * 1000**4, 1, "full")
    assert list(target.effective_pools()) == ["default"]


def test_pools_vaults_and_copy_from_load(write_manifest):
    text = HEAD + """\
    media: test
    cartridges: 12
    worm_cartridges: 2
    mail_slots: 2
    pool: weekly
    copy_from: nearline
    pools:
      weekly: {allocation: weekly, retention: 5w, receives: weekly}
      monthly: {allocation: monthly, retention: 13mo, receives: monthly}
      yearly: {allocation: yearly, retention: keep, worm: true, receives: yearly}
    vaults:
      offsite: {path: vault, recall: 2d}
"""
    target = load_manifest(write_manifest(text + WORKLOAD)).manifest.targets["lib"]
    assert target.capacity() == 64 << 20 and target.pools["yearly"].retention == "keep"
    assert str(target.pools["monthly"].retention) == "13mo" and str(target.vaults["offsite"].recall) == "2d"


@pytest.mark.parametrize(("extra", "field", "fragment"), [
    ("    cartridges: 2\n    worm_cartridges: 3\n", "targets.lib", "worm_cartridges (3) cannot exceed cartridges (2)"),
    ("    cartridges: 4\n    slots: 3\n", "targets.lib", "slots (3) cannot hold 4 cartridges"),
    ("    cartridges: 2\n    pool: daily\n    pools: {weekly: {}}\n", "targets.lib",
     "pool 'daily' is not one of the pools defined here (weekly)"),
    ("    cartridges: 2\n    pools: {default: {worm: true}}\n", "targets.lib", "'worm_cartridges' is 0"),
    ("    cartridges: 2\n    copy_from: nearline\n", "targets.lib", "needs at least one pool with 'receives'"),
    ("    cartridges: 2\n    pools: {default: {retention: forever}}\n", "targets.lib.pools.default.retention",
     "'keep' to keep for ever"),
    ("    cartridges: 2\n    media: LTO-10\n", "targets.lib.media", "LTO-9"),
    ("    cartridges: 2\n    pools: {default: {allocation: daily}}\n", "targets.lib.pools.default.allocation",
     "weekly"),
])
def test_tape_mistakes_are_explained(write_manifest, extra, field, fragment):
    found = problems(write_manifest(HEAD + extra + WORKLOAD))
    assert any(path == field and fragment in message + hint for path, message, hint in found), found


def test_copy_from_an_unknown_target_suggests_the_nearest(write_manifest):
    text = HEAD + "    cartridges: 2\n    copy_from: nearlin\n    pools: {default: {receives: weekly}}\n"
    [(field, message, hint)] = problems(write_manifest(text + WORKLOAD))
    assert (field, message) == ("targets.lib.copy_from", "unknown target 'nearlin'")
    assert "did you mean 'nearline'?" in hint


def test_copy_from_must_name_a_repository_target(write_manifest):
    text = HEAD + "    cartridges: 2\n    copy_from: lib\n    pools: {default: {receives: weekly}}\n"
    [(field, message, hint)] = problems(write_manifest(text + WORKLOAD))
    assert field == "targets.lib.copy_from" and "disk or vault" in message and "disk or vault" in hint


def test_a_tape_target_needs_a_passphrase_source(write_manifest):
    text = HEAD.replace("encryption:\n  passphrase_env: BKCTL_PASSPHRASE\n", "") + "    cartridges: 2\n"
    text = text.replace("  nearline: {type: disk, path: a}\n", "  nearline: {type: disk, path: a, encryption: "
                        "{passphrase_env: X}}\n")
    [(field, message, _)] = problems(write_manifest(text + WORKLOAD))
    assert field == "targets.lib" and "no passphrase source" in message
