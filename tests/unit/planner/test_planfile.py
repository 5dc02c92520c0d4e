"""Saved plans: round trip through versioned JSON, clear errors, stale-plan refusal."""

import json
from pathlib import Path

import pytest
from planner_builders import NOW, fresh_state, manifest, points, state, target

from bkctl.errors import NotFoundError, StalePlanError
from bkctl.planfile import PlanFileError, check_stale, load_plan, recorded_manifest, save_plan
from bkctl.planner import make_plan


def saved(tmp_path: Path):
    observed = state(target("local", initialized=False), fresh_state().targets["offsite"])
    plan = make_plan(manifest(), observed, NOW, manifest_digest="sha256:aa")
    save_plan(plan, tmp_path / "plan.json")
    return plan, observed


def test_a_saved_plan_loads_back_equal(tmp_path: Path) -> None:
    plan, _ = saved(tmp_path)
    assert load_plan(tmp_path / "plan.json") == plan
    assert json.loads((tmp_path / "plan.json").read_text())["format_version"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not a JSON plan"), ("[]", "no format_version"),
     ('{"format_version": 9}', "version 9 is not supported"),
     ('{"format_version": 1, "created": "x"}', "invalid plan: created")],
)
def test_a_bad_plan_file_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "plan.json").write_text(content)
    with pytest.raises(PlanFileError, match=message):
        load_plan(tmp_path / "plan.json")


def test_a_missing_plan_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="cannot read the plan"):
        load_plan(tmp_path / "absent.json")


def test_an_unchanged_world_is_not_stale(tmp_path: Path) -> None:
    plan, observed = saved(tmp_path)
    check_stale(load_plan(tmp_path / "plan.json"), "sha256:aa", observed)


def test_a_changed_target_or_manifest_makes_the_plan_stale(tmp_path: Path) -> None:
    plan, observed = saved(tmp_path)
    moved = state(target("local", *points("etc", [])), observed.targets["offsite"])
    with pytest.raises(StalePlanError, match="target 'local' changed since the plan was made"):
        check_stale(plan, "sha256:aa", moved)
    grown = state(observed.targets["local"],
                  target("offsite", *observed.targets["offsite"].points, *points("x", [NOW - NOW])))
    with pytest.raises(StalePlanError, match=r"the manifest changed.*target 'offsite' changed"):
        check_stale(plan, "sha256:bb", grown)


def test_a_saved_plan_records_its_manifest_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bkctl.yaml").write_text("version: 1\n")
    plan = make_plan(manifest(), fresh_state(), NOW, manifest_digest="sha256:aa")
    save_plan(plan, tmp_path / "plan.json", manifest=Path("bkctl.yaml"))
    loaded = load_plan(tmp_path / "plan.json")
    assert loaded.manifest == str(tmp_path / "bkctl.yaml")
    assert recorded_manifest(loaded, context="plan.json") == tmp_path / "bkctl.yaml"
    assert loaded.model_copy(update={"manifest": ""}) == plan


def test_a_plan_without_a_recorded_manifest_leaves_the_choice_to_the_caller(tmp_path: Path) -> None:
    plan, _ = saved(tmp_path)
    assert "manifest" not in json.loads((tmp_path / "plan.json").read_text())
    assert recorded_manifest(load_plan(tmp_path / "plan.json"), context="plan.json") is None


def test_a_recorded_manifest_that_moved_is_named_with_the_way_out(tmp_path: Path) -> None:
    plan = make_plan(manifest(), fresh_state(), NOW).model_copy(update={"manifest": str(tmp_path / "gone.yaml")})
    with pytest.raises(NotFoundError, match=r"gone\.yaml, which no longer exists") as raised:
        recorded_manifest(plan, context="plan.json")
    assert "-m PATH" in raised.value.hint
