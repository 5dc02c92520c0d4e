#!/usr/bin/env python3
"""Time the pure planner (and the plan's text and JSON views) at fleet scale.

Usage: PYTHONPATH=. python bench/planner_bench.py [--runs 5] [--scenario fleet|history|all] [--no-text]

Two scenarios, built in memory (no repository is opened, nothing is observed):

* ``fleet``: 1,000 workloads, each stored in 3 disk targets that hold 100 recovery
  points of it (300,000 points), daily schedule, ``daily: 30, weekly: 8, monthly: 12``
  retention, so every (workload, target) has a prune and a verify is due per target.
* ``history``: one target holding 100,000 points of one workload taken every 15
  minutes (about 2.9 years), GFS retention ``hourly 24, daily 31, weekly 52,
  monthly 120, yearly 99``, so the plan prunes ~99,800 points in one action.

For each, ``make_plan`` is timed on its own (what ``bkctl plan`` does after observing
the targets), then ``render_json`` and ``render_text`` (to a wide in-memory console) of
the plan it made. Medians of ``--runs`` runs are printed; building the inputs is not
timed. Targets (issue 13): fleet < 1 s, history < 2 s for the planning step.
"""

from __future__ import annotations

import argparse
import gc
import io
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console

from bkctl.model.manifest import Manifest
from bkctl.model.plan import Plan
from bkctl.model.state import ActualState, PointRecord, TargetState, fingerprint_points
from bkctl.planner import make_plan
from bkctl.render import render_json, render_text

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
HOST = "bench-host"
TARGETS = ("disk-a", "disk-b", "disk-c")
GFS = {"hourly": 24, "daily": 31, "weekly": 52, "monthly": 120, "yearly": 99}


def _manifest(workloads: int, schedule: dict[str, str], retention: dict[str, int],
              targets: tuple[str, ...]) -> Manifest:
    return Manifest.model_validate({
        "version": 1,
        "settings": {"max_prune_per_apply": 1_000_000, "host": HOST},
        "targets": {name: {"type": "disk", "path": f"/srv/{name}"} for name in targets},
        "policies": {"std": {"schedule": schedule, "retention": retention,
                             "verify": {"every": "7d"}}},
        "workloads": {f"w{index:04d}": {"type": "files", "paths": [f"/data/{index}"], "policy": "std",
                                        "targets": list(targets)} for index in range(workloads)},
    })


def _points(workload: str, count: int, step: timedelta, prefix: str) -> list[PointRecord]:
    newest = NOW - timedelta(hours=2)
    return [PointRecord(id=f"{prefix}{workload}-{index:06d}", workload=workload, host=HOST,
                        time=newest - step * index, bytes=1 << 20, stored_bytes=1 << 16)
            for index in range(count)]


def _state(manifest: Manifest, per_workload: int, step: timedelta) -> ActualState:
    targets = {}
    for name in manifest.targets:
        records = tuple(p for workload in manifest.workloads
                        for p in _points(workload, per_workload, step, f"{name[-1]}-"))
        targets[name] = TargetState(name=name, reachable=True, initialized=True,
                                    fingerprint=fingerprint_points(records), points=records,
                                    last_verified=NOW - timedelta(days=8))
    return ActualState(targets=targets, host=HOST)


def fleet() -> tuple[Manifest, ActualState]:
    """1,000 workloads x 3 targets x 100 points (one a day)."""
    manifest = _manifest(1000, {"every": "1d"}, {"daily": 30, "weekly": 8, "monthly": 12}, TARGETS)
    return manifest, _state(manifest, 100, timedelta(days=1))


def history() -> tuple[Manifest, ActualState]:
    """One workload, one target, 100,000 points every 15 minutes, GFS retention to 99 years."""
    manifest = _manifest(1, {"every": "15min"}, GFS, TARGETS[:1])
    return manifest, _state(manifest, 100_000, timedelta(minutes=15))


def _median(runs: int, call: Callable[[], object]) -> tuple[float, float]:
    """Median wall and CPU seconds: on a shared machine the CPU time is the steadier figure."""
    wall, cpu = [], []
    for _ in range(runs):
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def _text(plan: Plan) -> str:
    out = io.StringIO()
    render_text(plan, Console(file=out, width=120, color_system=None, force_terminal=False))
    return out.getvalue()


def measure(name: str, build: Callable[[], tuple[Manifest, ActualState]], runs: int, text: bool) -> None:
    start = time.perf_counter()
    manifest, state = build()
    built = time.perf_counter() - start
    points = sum(len(t.points) for t in state.targets.values())
    plan = make_plan(manifest, state, NOW)
    pruned = sum(len(a.points) for a in plan.actions)
    print(f"{name}: {len(manifest.workloads)} workloads, {len(state.targets)} targets, {points} points "
          f"(built in {built:.1f} s); plan: {len(plan.actions)} actions, {pruned} points named")
    steps: list[tuple[str, Callable[[], object]]] = [("make_plan", lambda: make_plan(manifest, state, NOW)),
                                                     ("render_json", lambda: render_json(plan))]
    if text:
        steps.append(("render_text", lambda: _text(plan)))
    for step, call in steps:
        wall, cpu = _median(runs, call)
        print(f"  {step:<11} median {wall:7.3f} s wall, {cpu:7.3f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scenario", choices=("fleet", "history", "all"), default="all")
    parser.add_argument("--no-text", action="store_true", help="Skip the terminal view (the slowest step).")
    args = parser.parse_args()
    if args.scenario in ("fleet", "all"):
        measure("fleet", fleet, args.runs, not args.no_text)
    if args.scenario in ("history", "all"):
        measure("history", history, args.runs, not args.no_text)


if __name__ == "__main__":
    main()
