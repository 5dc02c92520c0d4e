"""The 3-2-1-1-0 rule counts copies that exist, not copies the manifest declares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bkctl.model.manifest import Manifest
from bkctl.model.state import ActualState, PointRecord, TargetState
from bkctl.planner.protection import evaluate_protection

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
POINT = PointRecord(id="a" * 32, workload="docs", host="h", time=NOW - timedelta(hours=1))


def manifest(rule: str = "3-2-1-1-0") -> Manifest:
    return Manifest.model_validate({
        "version": 1, "protection": rule,
        "targets": {"local": {"type": "disk", "path": "/r"},
                    "tape": {"type": "tape", "library": "/t", "cartridges": 4},
                    "cloud": {"type": "vault", "provider": "s3", "container": "bucket", "key_env": "K",
                              "secret_env": "S"}},
        "policies": {"p": {"schedule": {"every": "1d"}, "retention": {"last": 9}}},
        "workloads": {"docs": {"type": "files", "paths": ["/d"], "policy": "p", "targets": ["local"]}},
    })


def target(name: str, *, holds: bool = True, **facts: object) -> TargetState:
    return TargetState(name=name, reachable=True, initialized=True, points=(POINT,) if holds else (),
                       last_verified=NOW - timedelta(days=1), **facts)  # type: ignore[arg-type]


def letters(rule: str, *targets: TargetState) -> dict[str, bool]:
    verdict = evaluate_protection(manifest(rule), ActualState(host="h", targets={t.name: t for t in targets}),
                                  "docs", "h", NOW)
    assert verdict is not None
    return {letter.letter: letter.ok for letter in verdict.letters}


def test_a_declared_target_without_the_point_is_no_copy() -> None:
    assert letters("3-2-1", target("local"), target("cloud", holds=False)) == \
        {"copies": False, "media": False, "offsite": False}


def test_a_cloud_vault_is_another_medium_and_off_site_by_default() -> None:
    assert letters("3-2-1", target("local"), target("cloud")) == {"copies": True, "media": True, "offsite": True}


def test_tape_is_its_own_medium_and_an_exported_cartridge_counts_as_offline() -> None:
    found = letters("3-2-1-1", target("local"), target("tape", offline_points=(POINT.id,)))
    assert found == {"copies": True, "media": True, "offsite": False, "immutable": True}


def test_damage_or_a_stale_verify_fails_the_zero() -> None:
    assert not letters("3-2-1-1-0", target("local", damaged_points=("b" * 32,)))["verify"]
    stale = target("local").model_copy(update={"last_verified": NOW - timedelta(days=31)})
    assert not letters("3-2-1-1-0", stale)["verify"]
    assert letters("3-2-1-1-0", target("local"))["verify"]


def test_a_workload_without_a_rule_has_no_verdict() -> None:
    plain = manifest().model_copy(update={"protection": None})
    assert evaluate_protection(plain, ActualState(host="h", targets={}), "docs", "h", NOW) is None
