"""An estate built by hand (manifest, observed state with run records, plan) so report goldens stay stable.

Three targets: a disk ``local`` replicating into a vault ``offsite`` (priced, another site),
and a vault ``archive`` that cannot be read. Two workloads: ``docs`` (files, daily with a
weekly/monthly retention, drilled within its RTO) and ``app`` (sqlite, drilled too slowly,
with a failed backup in the last run).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bkctl.model.manifest import Manifest
from bkctl.model.report import Report
from bkctl.model.runs import DrillResult, RunRecord, RunStep
from bkctl.model.state import ActualState, PointRecord, TargetState, fingerprint_points
from bkctl.planner import make_plan
from bkctl.planner.estate import build_report

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
HOST = "web-01"

MANIFEST = {
    "version": 1,
    "protection": "3-2-1-1-0",
    "targets": {
        "local": {"type": "disk", "path": "/srv/backup", "replica": "offsite"},
        "offsite": {"type": "vault", "provider": "azure_blobs", "container": "backups", "key_env": "K",
                    "secret_env": "S", "placement": {"location": "eu-west", "immutable": True},
                    "pricing": "azure-cool"},
        "archive": {"type": "vault", "provider": "s3", "container": "cold", "key_env": "K", "secret_env": "S"},
    },
    "policies": {
        "daily": {"schedule": {"every": "1d"}, "retention": {"daily": 7, "weekly": 4, "monthly": 3},
                  "verify": {"every": "7d"}, "drill": {"every": "30d", "rto": "1h"}},
        "db": {"schedule": {"every": "8h"}, "retention": {"last": 6},
               "drill": {"every": "7d", "rto": "5min", "pick": "random"}},
    },
    "workloads": {
        "docs": {"type": "files", "paths": ["/srv/docs"], "policy": "daily", "targets": ["local"]},
        "app": {"type": "sqlite", "path": "/var/lib/app.db", "policy": "db", "targets": ["local", "archive"]},
    },
}


def manifest() -> Manifest:
    return Manifest.model_validate(MANIFEST)


def _point(workload: str, number: int, time: datetime, size: int, added: int) -> PointRecord:
    return PointRecord(id=f"{workload[:2]}{number:04d}".ljust(32, "0"), workload=workload, host=HOST, time=time,
                       bytes=size, stored_bytes=added)


def points() -> tuple[PointRecord, ...]:
    docs = [_point("docs", n, NOW - timedelta(days=57 - n * 3, hours=1), 50 << 20, (40 << 20) if n == 0 else 2 << 20)
            for n in range(20)]
    app = [_point("app", n, NOW - timedelta(hours=8 * (6 - n), minutes=30), 8 << 20, 1 << 20) for n in range(6)]
    return tuple(docs + app)


def runs() -> tuple[RunRecord, ...]:
    docs, app = points()[19], points()[25]
    return (
        RunRecord(id="r1", time=NOW - timedelta(days=10), host=HOST, target="local", seconds=40.0, steps=(
            RunStep(kind="drill", workload="docs", ok=True, seconds=31.5, point=docs.id,
                    drill=DrillResult(point=docs.id, point_time=docs.time, seconds=31.5, objective_seconds=3600,
                                      checks=("812 entries compared with the point's tree",))),)),
        RunRecord(id="r2", time=NOW - timedelta(days=1), host=HOST, target="local", seconds=400.0, steps=(
            RunStep(kind="drill", workload="app", ok=True, seconds=412.0, point=app.id,
                    drill=DrillResult(point=app.id, point_time=app.time, seconds=412.0, objective_seconds=300,
                                      checks=("PRAGMA integrity_check: ok",))),
            RunStep(kind="backup", workload="app", ok=False, seconds=2.0,
                    message="sqlite: database disk image is malformed"))),
    )


def state() -> ActualState:
    held = points()
    local = TargetState(name="local", reachable=True, initialized=True, points=held,
                        fingerprint=fingerprint_points(held), runs=runs(), last_verified=NOW - timedelta(days=2))
    copies = tuple(p for p in held if p.workload == "docs")
    offsite = TargetState(name="offsite", reachable=True, initialized=True, points=copies,
                          fingerprint=fingerprint_points(copies), last_verified=NOW - timedelta(days=3))
    archive = TargetState(name="archive", reachable=False, initialized=False, error="connection refused",
                          error_kind="target-unreachable", error_code=69)
    return ActualState(targets={"archive": archive, "local": local, "offsite": offsite}, host=HOST)


def sample_report() -> Report:
    chosen, observed = manifest(), state()
    plan = make_plan(chosen, observed, NOW)
    return build_report(chosen, observed, plan, NOW, {"app": HOST, "docs": HOST})
