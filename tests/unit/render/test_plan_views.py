"""Golden files pin the terminal, Markdown and JSON views of a plan.

Set BKCTL_UPDATE_GOLDEN=1 to rewrite them after an intended change, then review the diff.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from render_fixture import NOW, incomplete_plan, sample_plan
from rich.console import Console

from bkctl.model.plan import Action, ActionKind, Plan, PrunedPoint, Reason
from bkctl.planfile import parse_plan
from bkctl.render import render_json, render_markdown, render_text

GOLDEN = Path(__file__).parent / "golden"


def text_of(plan: Plan) -> str:
    console = Console(record=True, width=100, no_color=True, color_system=None,
                      force_terminal=False, file=open(os.devnull, "w"))  # noqa: SIM115
    render_text(plan, console)
    return console.export_text()


def check(name: str, rendered: str) -> None:
    path = GOLDEN / name
    if os.environ.get("BKCTL_UPDATE_GOLDEN"):
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "view"),
    [("plan.txt", text_of), ("plan.md", render_markdown), ("plan.json", render_json)],
)
def test_each_view_of_the_sample_plan_matches_its_golden_file(name, view) -> None:
    check(name, view(sample_plan()))


def test_an_empty_plan_says_no_changes_everywhere() -> None:
    empty = Plan(created=NOW, now=NOW)
    check("empty.txt", text_of(empty))
    check("empty.md", render_markdown(empty))


def test_markdown_keeps_pipes_inside_their_cell() -> None:
    assert "old\\|db" not in render_markdown(sample_plan())  # warnings are list items
    plan = sample_plan()
    assert all(line.count(" | ") <= 6 for line in render_markdown(plan).splitlines())


def test_the_json_view_reads_back_as_the_same_plan() -> None:
    assert parse_plan(render_json(sample_plan())) == sample_plan()


@pytest.mark.parametrize(
    ("name", "view"),
    [("incomplete.txt", text_of), ("incomplete.md", render_markdown), ("incomplete.json", render_json)],
)
def test_a_plan_that_could_not_read_a_target_matches_its_golden_file(name, view) -> None:
    check(name, view(incomplete_plan()))


def test_an_unreadable_target_comes_first_and_in_the_summary_of_every_human_view() -> None:
    for rendered in (text_of(incomplete_plan()), render_markdown(incomplete_plan())):
        first = next(line for line in rendered.splitlines() if "offsite" in line)
        assert rendered.index(first) < rendered.index("backup")  # above the actions
        assert "1 target unreachable: offsite (wrong or missing passphrase)." in " ".join(rendered.split())
    markdown = render_markdown(incomplete_plan())
    assert "> [!CAUTION]" in markdown and "❌" in markdown and "exit code 65" in markdown


def test_an_incomplete_plan_never_says_just_no_changes() -> None:
    plan = incomplete_plan().model_copy(update={"actions": ()})
    assert "No changes." not in text_of(plan) and "No changes." not in render_markdown(plan)


def test_the_json_view_of_an_incomplete_plan_reads_back_with_its_errors() -> None:
    assert parse_plan(render_json(incomplete_plan())) == incomplete_plan()


def a_prune_of(count: int) -> Plan:
    base = sample_plan()
    points = tuple(PrunedPoint(id=f"{n:064x}", time=NOW - timedelta(hours=n), rules_not_keeping=("last 3",))
                   for n in range(count))
    prune = Action(kind=ActionKind.PRUNE, target="local", workload="etc", reason=Reason.RETENTION,
                   detail=f"{count} recovery points kept by no retention rule", points=points)
    return base.model_copy(update={"actions": (prune,)})


def test_a_huge_prune_lists_its_first_points_and_counts_the_rest_in_text_and_markdown() -> None:
    plan = a_prune_of(5000)
    text = text_of(plan)
    assert text.count("not kept by: last 3") == 20
    assert "and 4980 more points (--json lists every one)" in text
    markdown = render_markdown(plan)
    assert markdown.count("| last 3 |") == 100
    assert "| … | 4900 more | `bkctl plan --json` lists every one |" in markdown
    assert len(json.loads(render_json(plan))["actions"][0]["points"]) == 5000


def test_a_prune_at_the_limit_lists_every_point_and_no_remainder() -> None:
    text = text_of(a_prune_of(20))
    assert text.count("not kept by: last 3") == 20 and "more points" not in text


def test_a_fleet_sized_plan_lists_at_most_two_hundred_point_rows_and_says_how_many_actions_it_left_out() -> None:
    prune = a_prune_of(30).actions[0]
    plan = sample_plan().model_copy(update={"actions": tuple(
        prune.model_copy(update={"workload": f"w{n}"}) for n in range(15))})
    text = text_of(plan)
    assert text.count("not kept by: last 3") == 200  # ten actions of twenty
    assert text.count("and 10 more points") == 10
    assert "The points of 5 more actions are not listed here; `bkctl plan --json` names every one." in text
