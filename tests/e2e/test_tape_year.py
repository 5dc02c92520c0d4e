"""A simulated year of daily points with GFS rotation onto tape, one `bkctl apply --now` a day.

Daily backups go to a disk target; a tape target with ``copy_from`` receives the points
the disk's retention marks weekly (kept four weeks), monthly (three months) and yearly
(for ever, on WORM cartridges). The CLI runs in this process (``bkctl.cli.main.run``)
so a year of applies costs a year of work, not a year of interpreter start-ups.

Checked every day: every apply exits 0, and each pool holds exactly the points an
independent calendar oracle names (below); the number of data cartridges in use stops
growing after the first cycle while WORM cartridges grow by the yearly points only. On
the days a copy is due, the cartridge `plan --json` names is the one the point lands on.
"""

from __future__ import annotations

import calendar
import contextlib
import io
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bkctl.cli.main import run
from bkctl.model.units import parse_duration

pytestmark = [pytest.mark.slow, pytest.mark.long]

MANIFEST = """\
version: 1
settings: {host: sim}
encryption: {passphrase_env: BKCTL_PASSPHRASE}
targets:
  nearline: {type: disk, path: nearline}
  tape:
    type: tape
    library: library
    media: test
    cartridges: 14
    worm_cartridges: 2
    copy_from: nearline
    pool: weekly
    pools:
      weekly: {allocation: weekly, retention: 4w, receives: weekly}
      monthly: {allocation: monthly, retention: 3mo, receives: monthly}
      yearly: {allocation: yearly, retention: keep, receives: yearly, worm: true}
policies:
  daily:
    schedule: {every: 1d}
    retention: {daily: 7, weekly: 5, monthly: 4, yearly: 2}
workloads:
  docs: {type: files, paths: [data], policy: daily, targets: [nearline]}
"""
START = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # a Sunday; the year ends on 2027-03-01
DAYS = 366
FIRST_CYCLE = 120  # past the monthly pool's three months: recycling has begun everywhere


def oracle(point: datetime, day: datetime) -> str | None:
    """The pool a point of ``point`` is in after the apply of ``day``, by the calendar alone.

    Year-end points go to yearly the next day; month-end points to monthly two days later
    (the first of the month they are still the newest of the year); Sundays to weekly two
    days later (on Monday they are still the newest of the month). Weekly points leave
    after four weeks, monthly ones after three calendar months, yearly ones never.
    """
    last_of_month = point.day == calendar.monthrange(point.year, point.month)[1]
    if point.month == 12 and point.day == 31:
        return "yearly" if day >= point + timedelta(days=1) else None
    if last_of_month:
        kept = point > parse_duration("3mo").before(day)
        return "monthly" if day >= point + timedelta(days=2) and kept else None
    if point.weekday() == 6:
        return "weekly" if day >= point + timedelta(days=2) and point > day - timedelta(weeks=4) else None
    return None


def cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = run(list(args))
    return code, out.getvalue()


def cartridges_in_use(library: Path) -> tuple[int, int]:
    """(data, WORM) cartridges that are neither blank nor scratch, from their attribute files."""
    used = [json.loads(p.read_text()) for p in sorted((library / "cartridges").glob("*/attributes.json"))]
    busy = [a for a in used if a["state"] not in ("blank", "scratch")]
    return sum(not a["worm"] for a in busy), sum(a["worm"] for a in busy)


def pools_held(status: dict) -> dict[str, set[datetime]]:
    held: dict[str, set[datetime]] = {"weekly": set(), "monthly": set(), "yearly": set()}
    for placement in status["placements"]:
        if not placement["expired"]:
            held[placement["pool"]].add(datetime.fromisoformat(placement["time"]))
    return held


def test_a_year_of_daily_points_rotates_through_the_pools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for key, value in {"BKCTL_PASSPHRASE": "year on tape", "BKCTL_TEST_FAST_KDF": "1", "NO_COLOR": "1",
                       "BKCTL_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "200"}.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "bkctl.yaml").write_text(MANIFEST)
    data = tmp_path / "data"
    data.mkdir()
    made: list[datetime] = []
    in_use: list[tuple[int, int]] = []
    checked_predictions = 0
    for number in range(DAYS):
        day = START + timedelta(days=number)
        (data / "today.txt").write_text(f"day {number}\n" + os.urandom(2000).hex())
        expected = {t: oracle(t, day) for t in made}
        due = any(pool is not None and oracle(t, day - timedelta(days=1)) is None for t, pool in expected.items())
        planned = json.loads(cli("plan", "--json", "--now", day.isoformat())[1]) if due else None
        code, text = cli("apply", "--auto-approve", "--now", day.isoformat())
        assert code == 0, f"{day}: {text[-3000:]}"
        made.append(day)
        if not due and number % 7:
            in_use.append(cartridges_in_use(tmp_path / "library"))
            continue
        status = json.loads(cli("tape", "status", "tape", "--json")[1])
        wanted: dict[str, set[datetime]] = {"weekly": set(), "monthly": set(), "yearly": set()}
        for moment, pool in expected.items():
            if pool is not None:
                wanted[pool].add(moment)
        assert pools_held(status) == wanted, day
        if planned is not None:
            checked_predictions += check_prediction(planned, status)
        in_use.append(cartridges_in_use(tmp_path / "library"))
    steady = {data for data, _ in in_use[FIRST_CYCLE:]}
    assert len(steady) == 1, f"data cartridges in use after the first cycle: {sorted(steady)}"
    assert in_use[-1][1] == 1  # one yearly point (2026) on one WORM cartridge
    assert checked_predictions >= 60  # every weekly and monthly copy of the year


def check_prediction(plan: dict, status: dict) -> int:
    """Each copy's point sits on the cartridges the plan named, in that order."""
    placed = {p["id"]: tuple(p["cartridges"]) for p in status["placements"]}
    count = 0
    for action in plan["actions"]:
        if action["kind"] == "copy":
            for point in action["points"]:
                assert placed[point["id"]] == tuple(action["cartridges"]), action["detail"]
                count += 1
    return count
