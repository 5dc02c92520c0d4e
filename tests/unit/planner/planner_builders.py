"""Small builders for manifests and observed state used across planner tests."""

from datetime import UTC, datetime, timedelta

from bkctl.model.manifest import Manifest
from bkctl.model.state import ActualState, PointRecord, TargetState, fingerprint_points

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
HOST = "web-01"


def manifest(retention: dict | None = None, verify: dict | None = None, limit: int = 50) -> Manifest:
    policy: dict = {"schedule": {"every": "8h"}, "retention": retention or {"daily": 7}}
    if verify:
        policy["verify"] = verify
    return Manifest.model_validate({
        "version": 1,
        "settings": {"max_prune_per_apply": limit},
        "targets": {"local": {"type": "disk", "path": "b"},
                    "offsite": {"type": "disk", "path": "o"}},
        "policies": {"std": policy},
        "workloads": {
            "etc": {"type": "files", "paths": ["/etc"], "policy": "std", "targets": ["local"]},
            "www": {"type": "files", "paths": ["/srv"], "policy": "std",
                    "targets": ["local", "offsite"]},
        },
    })


def points(workload: str, ages: list[timedelta], host: str = HOST) -> tuple[PointRecord, ...]:
    return tuple(
        PointRecord(id=f"{workload}-{index:03d}", workload=workload, host=host, time=NOW - age)
        for index, age in enumerate(ages)
    )


def target(name: str, *records: PointRecord, initialized: bool = True, **extra) -> TargetState:
    return TargetState(name=name, reachable=True, initialized=initialized,
                       fingerprint=fingerprint_points(records), points=records, **extra)


def state(*targets: TargetState) -> ActualState:
    return ActualState(targets={t.name: t for t in targets}, host=HOST)


def fresh_state() -> ActualState:
    """Both targets backed up one hour ago, one point each: nothing to do."""
    hour = [timedelta(hours=1)]
    return state(target("local", *points("etc", hour), *points("www", hour)),
                 target("offsite", *points("www", hour)))
