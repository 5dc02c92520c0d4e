"""Golden files pin the terminal, Markdown and JSON views of a plan that speaks tape.

The plan is the planner's own (tests/unit/planner/tape_scenario.py: GFS copies naming
their cartridges and estimates, prunes per pool, import, recycle and export actions, and
the tape warnings). Set BKCTL_UPDATE_GOLDEN=1 to rewrite them after an intended change.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from test_plan_views import check, text_of

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "planner"))  # the shared tape scenario

from tape_scenario import NOW, gfs_state, tape_manifest

from bkctl.model.plan import Plan
from bkctl.planfile import parse_plan
from bkctl.planner import make_plan
from bkctl.render import render_json, render_markdown


def tape_plan() -> Plan:
    return make_plan(tape_manifest(), gfs_state(), NOW, manifest_digest="sha256:tape")


@pytest.mark.parametrize(("name", "view"), [("tape.txt", text_of), ("tape.md", render_markdown),
                                            ("tape.json", render_json)])
def test_each_view_of_a_tape_plan_matches_its_golden_file(name, view) -> None:
    check(name, view(tape_plan()))


def test_the_json_view_of_a_tape_plan_reads_back_with_its_cartridges() -> None:
    plan = tape_plan()
    again = parse_plan(render_json(plan))
    assert again == plan
    assert {a.kind: a.cartridges for a in again.actions if a.cartridges}["export-cartridge"] == ("BK0005TT",)
