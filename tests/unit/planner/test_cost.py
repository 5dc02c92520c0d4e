"""The plan's monthly estimate, recomputed by hand from the point sizes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from bkctl.model.manifest import Manifest
from bkctl.model.state import ActualState, PointRecord, TargetState, fingerprint_points
from bkctl.planner import make_plan
from bkctl.render import render_json, render_markdown, render_text

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
GIB = 1 << 30
PRICES = {"storage_gib_month": 0.02, "requests_10k": 0.5, "egress_gib": 0.09, "minimum_days": 30}


def manifest(last: int, pricing: object = PRICES) -> Manifest:
    return Manifest.model_validate({
        "version": 1,
        "targets": {"cloud": {"type": "vault", "provider": "s3", "container": "bucket", "key_env": "K",
                              "secret_env": "S",
                              "pricing": pricing}},
        "policies": {"daily": {"schedule": {"every": "1d"}, "retention": {"last": last}}},
        "workloads": {"docs": {"type": "files", "paths": ["/d"], "policy": "daily", "targets": ["cloud"]}},
    })


def state() -> ActualState:
    """Four daily points: a 10 GiB first one, then increments of 1, 2 and 3 GiB."""
    sizes = [10, 1, 2, 3]
    points = tuple(PointRecord(id=f"p{n}".ljust(32, "0"), workload="docs", host="h", bytes=50 * GIB,
                               stored_bytes=size * GIB, time=NOW - timedelta(days=3 - n, hours=1))
                   for n, size in enumerate(sizes))
    target = TargetState(name="cloud", reachable=True, initialized=True, points=points,
                         fingerprint=fingerprint_points(points))
    return ActualState(targets={"cloud": target}, host="h")


def test_the_monthly_estimate_is_what_the_point_sizes_and_retention_give_by_hand() -> None:
    [cost] = make_plan(manifest(last=5), state(), NOW).costs
    # Increments after the first point average (1 + 2 + 3) / 3 = 2 GiB per backup. The next
    # backup is due at 11:00 tomorrow; daily until NOW + 30 days: 30 backups. `last 5` keeps
    # the 5 newest at the month's end: 5 projected points of 2 GiB.
    assert cost.backups_next_month == 30
    assert cost.stored_bytes_now == 16 * GIB
    assert cost.stored_bytes_next_month == 10 * GIB
    storage = 10 * 0.02
    requests = 30 * (2 * GIB // (16 << 20) + 3) / 10_000 * 0.5  # 128 packs + 3 small objects per backup
    assert cost.storage_cost == pytest.approx(storage)
    assert cost.request_cost == pytest.approx(requests)
    assert cost.monthly_cost_after == pytest.approx(storage + requests)
    assert cost.monthly_cost_before == pytest.approx(16 * 0.02)
    assert cost.egress_cost == 0  # no replica: nothing leaves the target


def test_pruning_data_younger_than_the_minimum_duration_warns_with_the_penalty() -> None:
    plan = make_plan(manifest(last=2), state(), NOW)
    [warning] = [w for w in plan.warnings if w.kind == "early-deletion"]
    # The 10 GiB point is 3d 1h old, the 1 GiB one 2d 1h: 26d 23h and 27d 23h short of 30 days.
    penalty = 10 * 0.02 * (timedelta(days=26, hours=23) / timedelta(days=30)) \
        + 1 * 0.02 * (timedelta(days=27, hours=23) / timedelta(days=30))
    assert plan.costs[0].early_deletion_cost == pytest.approx(penalty, abs=1e-6)
    assert "deletes 2 point(s) younger than the storage class's minimum of 30 days" in warning.message
    assert f"{penalty:.4f} USD" in warning.message


def test_a_manifest_without_prices_carries_no_costs_and_its_plan_json_is_unchanged() -> None:
    plan = make_plan(manifest(last=5, pricing="none"), state(), NOW)
    assert plan.costs == ()
    assert "costs" not in plan.model_dump_json()


def test_shipped_price_lists_are_used_by_name() -> None:
    [cost] = make_plan(manifest(last=5, pricing="azure-cool"), state(), NOW).costs
    assert cost.monthly_cost_before == pytest.approx(16 * 0.01)


def test_every_view_of_the_plan_shows_the_monthly_estimate() -> None:
    plan = make_plan(manifest(last=5), state(), NOW)
    console = Console(record=True, width=200, no_color=True)
    render_text(plan, console)
    line = "Cost of cloud: 16.0 GiB stored, 0.3200 USD/month now; next month 10.0 GiB, 0.3965 USD/month"
    assert line in console.export_text()
    assert "| cloud | 16.0 GiB | 0.3200 USD | 10.0 GiB | 0.3965 USD |" in render_markdown(plan)
    assert '"monthly_cost_after": 0.3965' in render_json(plan)
