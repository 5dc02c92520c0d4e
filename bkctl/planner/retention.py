"""Which recovery points retention keeps, and why (restic's ``ApplyPolicy`` semantics).

Each rule is applied on its own to the points of one workload in one target, newest
first; a point kept by any rule is kept. ``hourly/daily/weekly/monthly/yearly: N`` keep
the newest point of each of the N most recent distinct periods that have a point (weeks
are ISO weeks, so 2020-12-31 and 2021-01-01 are both in 2020-W53); ``last: N`` keeps
the N newest; ``within: D`` keeps points at or after ``D.before(newest)``. The newest
point is always kept, and ``min_points`` keeps extra newest points to reach the floor.

Partial points take part like any other (restic has no notion of them); the planner
separately refuses to prune the newest good point. Periods are computed in the
schedule's time zone, UTC when it has none. See docs/retention.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from bkctl.model.policy import Retention

__all__ = ["Verdict", "BUCKET_RULES", "apply_retention", "rule_names"]

PeriodOf = Callable[[datetime], str]


def _iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


BUCKET_RULES: tuple[tuple[str, PeriodOf], ...] = (
    ("hourly", lambda t: t.strftime("%Y-%m-%d %H:00")),
    ("daily", lambda t: t.strftime("%Y-%m-%d")),
    ("weekly", _iso_week),
    ("monthly", lambda t: t.strftime("%Y-%m")),
    ("yearly", lambda t: t.strftime("%Y")),
)


@dataclass(frozen=True)
class Verdict:
    """One point's fate: kept with the reasons, or pruned with the rules that did not keep it."""

    time: datetime
    key: str
    kept: bool
    reasons: tuple[str, ...]


def rule_names(retention: Retention) -> tuple[str, ...]:
    """The configured rules as people write them (``daily 30``, ``within 7d``)."""
    names = []
    if retention.last is not None:
        names.append(f"last {retention.last}")
    if retention.within is not None:
        names.append(f"within {retention.within}")
    for rule, _ in BUCKET_RULES:
        count = getattr(retention, rule)
        if count is not None:
            names.append(f"{rule} {count}")
    return tuple(names)


def _bucket_reasons(
    rule: str, count: int, period_of: PeriodOf, times: Sequence[datetime], zone: tzinfo
) -> list[str | None]:
    """Per point (newest first), ``'daily 2026-11-24'`` when this rule keeps it, else None."""
    reasons: list[str | None] = []
    seen: set[str] = set()
    for moment in times:
        period = period_of(moment.astimezone(zone))
        if period not in seen and len(seen) < count:
            seen.add(period)
            reasons.append(f"{rule} {period}")
        else:
            reasons.append(None)
    return reasons


def _reasons_per_point(
    retention: Retention, times: Sequence[datetime], zone: tzinfo
) -> list[list[str]]:
    reasons: list[list[str]] = [[] for _ in times]
    if retention.last is not None:
        for index in range(min(retention.last, len(times))):
            reasons[index].append(f"last {retention.last}")
    if retention.within is not None and times:
        start = retention.within.before(times[0])
        for index, moment in enumerate(times):
            if moment >= start:
                reasons[index].append(f"within {retention.within}")
    for rule, period_of in BUCKET_RULES:
        count = getattr(retention, rule)
        if count is not None:
            for index, reason in enumerate(_bucket_reasons(rule, count, period_of, times, zone)):
                if reason is not None:
                    reasons[index].append(reason)
    return reasons


def apply_retention(
    retention: Retention, points: Sequence[tuple[datetime, str]], zone: tzinfo = UTC
) -> list[Verdict]:
    """Verdicts for ``(time, key)`` pairs, newest first (ties broken by key, descending).

    Pure and deterministic; ``key`` is an opaque id the caller uses to find its points.
    """
    ordered = sorted(points, key=lambda p: (p[0], p[1]), reverse=True)
    times = [moment for moment, _ in ordered]
    reasons = _reasons_per_point(retention, times, zone)
    if reasons and not reasons[0]:
        reasons[0].append("newest")
    floor = retention.min_points
    kept = sum(1 for r in reasons if r)
    for index in range(len(reasons)):
        if kept >= floor:
            break
        if not reasons[index]:
            reasons[index].append(f"min_points {floor}")
            kept += 1
    not_keeping = rule_names(retention)
    return [
        Verdict(moment, key, bool(why), tuple(why) if why else not_keeping)
        for (moment, key), why in zip(ordered, reasons, strict=True)
    ]
