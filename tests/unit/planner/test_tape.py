"""The planner's tape rules: GFS selection, pool prunes, predicted cartridges, cartridge actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tape_scenario import (
    NOW,
    at,
    disk_points,
    gfs_state,
    library,
    placement,
    point_id,
    tape_manifest,
    tape_target,
)

from bkctl.model.plan import Action, ActionKind, Plan, Reason
from bkctl.model.state import ActualState, TargetState, fingerprint_points
from bkctl.model.tape_state import TapeCartridge, TapeState
from bkctl.model.target import TapeTarget
from bkctl.planner import make_plan
from bkctl.planner.tape_media import LibraryModel, blank_library
from bkctl.tape import describe  # the engine's own barcode numbering, to compare with the planner's


def plan_of(state: ActualState | None = None, now: datetime = NOW, **manifest: object) -> Plan:
    return make_plan(tape_manifest(**manifest), state or gfs_state(), now)  # type: ignore[arg-type]


def tape_actions(plan: Plan, kind: ActionKind) -> list[Action]:
    return [a for a in plan.actions if a.kind == kind and a.target == "tape-lib"]


def copied(plan: Plan) -> dict[str, list[str]]:
    return {a.pool or "": [p.time.strftime("%Y-%m-%d") for p in a.points] for a in tape_actions(plan, ActionKind.COPY)}


def spec() -> TapeTarget:
    target = tape_manifest().targets["tape-lib"]
    assert isinstance(target, TapeTarget)
    return target


def with_disk_until(last: datetime, first: str = "2026-01-01", tape: TapeState | None = None) -> ActualState:
    state = gfs_state(tape)
    near = disk_points(first, last)
    nearline = TargetState(name="nearline", reachable=True, initialized=True, points=near,
                           fingerprint=fingerprint_points(near))
    return state.model_copy(update={"targets": {**state.targets, "nearline": nearline}})


# -- GFS ----------------------------------------------------------------------------------

def test_each_closed_period_sends_its_point_once_to_the_most_senior_pool() -> None:
    plan = plan_of()
    assert copied(plan) == {"monthly": ["2026-02-28"], "weekly": ["2026-03-01"]}  # Feb 22 is on tape already
    assert all(a.reason == Reason.GFS_ROTATION and a.source == "nearline" for a in tape_actions(plan, ActionKind.COPY))


def test_a_point_still_the_newest_of_an_open_senior_period_waits_for_it_to_close() -> None:
    before_backup = NOW - timedelta(days=1, hours=2)  # Monday 01:00: Sunday's point is the newest of March
    assert copied(plan_of(with_disk_until(at("2026-03-01")), before_backup)) == {"monthly": ["2026-02-28"]}
    assert copied(plan_of(with_disk_until(at("2026-03-02")), NOW - timedelta(hours=2)))["weekly"] == ["2026-03-01"]


def test_a_first_apply_copies_the_backlog_into_every_pool_and_yearly_points_onto_worm() -> None:
    now = datetime(2026, 1, 2, 3, tzinfo=UTC)
    state = with_disk_until(at("2026-01-02"), first="2025-11-01")
    fresh = TargetState(name="tape-lib", reachable=True, initialized=False)
    plan = plan_of(state.model_copy(update={"targets": {**state.targets, "tape-lib": fresh}}), now)
    assert copied(plan) == {"monthly": ["2025-11-30"], "weekly": ["2025-12-07", "2025-12-14", "2025-12-21",
                                                                  "2025-12-28"], "yearly": ["2025-12-31"]}
    cartridges = {a.pool: a.cartridges for a in tape_actions(plan, ActionKind.COPY)}
    assert cartridges == {"monthly": ("BK0001TT",), "weekly": ("BK0002TT",), "yearly": ("BK9001TW",)}
    label = tape_actions(plan, ActionKind.LABEL_CARTRIDGE)
    assert [a.cartridges for a in label] == [tuple(c.barcode for c in blank_library(spec()).cartridges)]
    init = tape_actions(plan, ActionKind.INIT_TARGET)[0]
    assert init.detail == "create the tape library (8 test cartridges, 1 drive)"


def test_points_a_pool_would_expire_at_once_are_not_copied() -> None:
    now = datetime(2026, 1, 2, 3, tzinfo=UTC)
    state = with_disk_until(at("2026-01-02"), first="2025-09-01")  # retention names Sept 30 as monthly
    assert "2025-09-30" not in copied(plan_of(state, now)).get("monthly", [])


# -- pool prunes ------------------------------------------------------------------------------

def test_each_pool_prunes_by_its_own_retention_and_keep_never_prunes() -> None:
    prunes = {a.pool: [p.time.strftime("%Y-%m-%d") for p in a.points]
              for a in tape_actions(plan_of(), ActionKind.PRUNE)}
    assert prunes == {"monthly": ["2025-11-30"], "weekly": ["2026-02-01"]}
    far = plan_of(now=NOW + timedelta(days=400))
    assert "yearly" not in {a.pool for a in tape_actions(far, ActionKind.PRUNE)}


def test_a_tape_target_gets_no_reclaim_action() -> None:
    assert not tape_actions(plan_of(), ActionKind.RECLAIM)


# -- cartridges -------------------------------------------------------------------------------

def test_writes_name_their_cartridges_and_recycle_only_what_they_need() -> None:
    plan = plan_of()
    recycled = [a.cartridges for a in tape_actions(plan, ActionKind.RECYCLE_CARTRIDGE)]
    assert recycled == [("BK0001TT",), ("BK0006TT",)]  # the oldest expired ones; B..D hold live points
    writes = {a.pool: (a.cartridges, a.estimate_seconds) for a in tape_actions(plan, ActionKind.COPY)}
    assert writes == {"monthly": (("BK0001TT",), 2.0), "weekly": (("BK0006TT",), 2.0)}
    assert "cartridge BK0001TT (recycle), about 2s for 3.0 MiB" in tape_actions(plan, ActionKind.COPY)[0].detail
    assert [a.cartridges for a in tape_actions(plan, ActionKind.IMPORT_CARTRIDGE)] == [("BK0006TT",)]


def test_scratch_cartridges_go_first_and_nothing_is_recycled_while_they_last() -> None:
    tape = library()
    spare = TapeCartridge(barcode="BK0007TT", state="scratch", location="slot 7", capacity=64 << 20)
    spare2 = spare.model_copy(update={"barcode": "BK0008TT", "location": "slot 9"})
    more = tape.model_copy(update={"cartridges": (*tape.cartridges, spare, spare2),
                                   "slots": (*tape.slots, "BK0007TT", None, "BK0008TT")})
    plan = plan_of(gfs_state(more), cartridges=10)
    assert not tape_actions(plan, ActionKind.RECYCLE_CARTRIDGE)
    assert {a.pool: a.cartridges for a in tape_actions(plan, ActionKind.COPY)} == {
        "monthly": ("BK0007TT",), "weekly": ("BK0008TT",)}


def test_a_cartridge_whose_points_have_live_dependants_is_not_recyclable() -> None:
    base = placement("2026-02-01", "weekly", "w06", "BK0001TT")
    dependant = placement("2026-02-08", "weekly", "w06", "BK0002TT").model_copy(update={"base": base.id})
    tape = library().model_copy(update={"placements": (base, dependant)})
    model = LibraryModel(tape, spec(), NOW)
    assert model.expired(base) and not model.expired(dependant)
    assert not model.recyclable(model.cartridges["BK0001TT"])  # its full is the base of a live point
    later = LibraryModel(tape, spec(), NOW + timedelta(days=7))
    assert later.recyclable(later.cartridges["BK0001TT"]) and later.recyclable(later.cartridges["BK0002TT"])


def test_closed_sets_of_an_offsite_pool_are_exported_but_not_the_open_one_nor_expired_ones() -> None:
    exports = tape_actions(plan_of(), ActionKind.EXPORT_CARTRIDGE)
    assert [(a.pool, a.cartridges) for a in exports] == [("monthly", ("BK0005TT",))]
    assert "BK0005TT: closed media sets of pool 'monthly' go to vault 'offsite'" in exports[0].detail


def test_blank_cartridges_are_labelled_first_and_counted_per_cartridge() -> None:
    tape = library()
    blank = TapeCartridge(barcode="BK0007TT", state="blank", location="slot 7", capacity=64 << 20)
    plan = plan_of(gfs_state(tape.model_copy(update={"cartridges": (*tape.cartridges, blank)})), cartridges=9)
    label = tape_actions(plan, ActionKind.LABEL_CARTRIDGE)
    assert [a.cartridges for a in label] == [("BK0007TT",)] and plan.actions[0] == label[0]
    assert "1 cartridge to label" in plan.summary()


# -- warnings ---------------------------------------------------------------------------------

def kinds(plan: Plan) -> list[str]:
    return [str(w.kind) for w in plan.warnings if w.target == "tape-lib"]


def test_dirty_cartridges_stale_catalogs_and_keep_pools_are_warned_about() -> None:
    warnings = {str(w.kind): w.message for w in plan_of().warnings}
    assert "cartridge BK0003TT is dirty" in warnings["dirty-cartridge"]
    assert "bkctl tape scan tape-lib" in warnings["catalog-out-of-sync"]
    assert "pool 'yearly' keeps points for ever" in warnings["media-refresh-due"]
    assert "by 2055-12-24" in warnings["media-refresh-due"]  # the oldest yearly point plus 30 years


def test_the_90_day_forecast_warns_with_the_numbers_and_is_quiet_when_there_is_room() -> None:
    short = next(w.message for w in plan_of().warnings if w.kind == "scratch-exhausted")
    assert "the coming 90 days need 16 new cartridges (monthly 3, weekly 13)" in short and "2 short" in short
    tape = library()
    spares = tuple(TapeCartridge(barcode=f"BK00{n}TT", state="scratch", location=f"slot {n}", capacity=64 << 20)
                   for n in range(10, 20))
    roomy = tape.model_copy(update={"cartridges": (*tape.cartridges, *spares)})
    assert "scratch-exhausted" not in kinds(plan_of(gfs_state(roomy), cartridges=18))


def test_a_write_without_any_cartridge_left_is_a_warning_naming_exit_71() -> None:
    tape = library()
    live = tape.model_copy(update={"placements": tuple(
        p.model_copy(update={"time": NOW - timedelta(days=1)}) for p in tape.placements)})
    messages = [w.message for w in plan_of(gfs_state(live)).warnings if w.kind == "scratch-exhausted"]
    assert any("has no cartridge left for the copy of workload 'docs'" in m and "exit 71" in m for m in messages)


def test_an_offsite_writable_end_is_warned_about_and_the_set_continues_elsewhere() -> None:
    tape = library()
    away = tuple(c.model_copy(update={"location": "vault:offsite"}) if c.barcode == "BK0004TT" else c
                 for c in tape.cartridges)
    this_week = tuple(s.model_copy(update={"period": "2026-W10"}) if s.id == "w09" else s for s in tape.media_sets)
    plan = plan_of(gfs_state(tape.model_copy(update={"cartridges": away, "media_sets": this_week})))
    warning = next(w.message for w in plan.warnings if w.kind == "media-offsite")
    assert "the writable end of pool 'weekly', cartridge BK0004TT, is off-site (vault:offsite)" in warning
    weekly = next(a for a in tape_actions(plan, ActionKind.COPY) if a.pool == "weekly")
    assert weekly.cartridges and "BK0004TT" not in weekly.cartridges


def test_backups_into_a_tape_target_use_its_pool_and_the_newest_size_on_tape() -> None:
    manifest = tape_manifest().model_copy(deep=True)
    workloads = {**manifest.workloads, "logs": manifest.workloads["docs"].model_copy(update={"targets": ["tape-lib"]})}
    manifest = manifest.model_copy(update={"workloads": workloads})
    state = gfs_state()
    logs = placement("2026-03-02", "weekly", "w09", "BK0004TT").model_copy(
        update={"workload": "logs", "id": point_id(at("2026-03-02")).replace("d", "l", 1), "stored_bytes": 9 << 20})
    tape = library().model_copy(update={"placements": (*library().placements, logs)})
    state = state.model_copy(update={"targets": {**state.targets, "tape-lib": tape_target(tape)}})
    plan = make_plan(manifest, state, NOW + timedelta(days=1))
    backup = next(a for a in plan.actions if a.kind == ActionKind.BACKUP and a.target == "tape-lib")
    assert backup.pool == "weekly" and backup.cartridges and "for 9.0 MiB" in backup.detail


def incremental_plan(now: datetime) -> Action:
    """The backup of 'logs' into an incremental tape target; set w09 holds its 9 MiB full and a 1 MiB incremental."""
    manifest = tape_manifest().model_copy(deep=True)
    target = manifest.targets["tape-lib"].model_copy(update={"format": "incremental"})
    workloads = {**manifest.workloads, "logs": manifest.workloads["docs"].model_copy(update={"targets": ["tape-lib"]})}
    manifest = manifest.model_copy(update={"workloads": workloads,
                                           "targets": {**manifest.targets, "tape-lib": target}})
    full = placement("2026-02-24", "weekly", "w09", "BK0004TT").model_copy(
        update={"workload": "logs", "id": "f" * 64, "stored_bytes": 9 << 20})
    incremental = placement("2026-02-25", "weekly", "w09", "BK0004TT").model_copy(
        update={"workload": "logs", "id": "e" * 64, "stored_bytes": 1 << 20, "base": full.id})
    tape = library().model_copy(update={"placements": (*library().placements, full, incremental)})
    state = gfs_state().model_copy(update={"targets": {**gfs_state().targets, "tape-lib": tape_target(tape)}})
    plan = make_plan(manifest, state, now)
    return next(a for a in plan.actions if a.kind == ActionKind.BACKUP and a.target == "tape-lib")


def test_an_incremental_is_estimated_as_the_last_one_and_a_new_chain_as_its_full() -> None:
    assert "for 1.0 MiB" in incremental_plan(at("2026-02-27")).detail  # w09 still open: extends the chain
    assert "for 9.0 MiB" in incremental_plan(at("2026-03-03")).detail  # a new week's set starts with a full


def test_the_planner_names_the_barcodes_the_library_will_create() -> None:
    engine = [barcode for barcode, _ in describe(spec(), {}).barcodes()]
    assert [c.barcode for c in blank_library(spec()).cartridges] == engine
    assert [c.worm for c in blank_library(spec()).cartridges] == [w for _, w in describe(spec(), {}).barcodes()]


def test_a_plan_narrowed_to_a_workload_leaves_the_offsite_rotation_alone() -> None:
    narrowed = make_plan(tape_manifest(), gfs_state(), NOW, workloads={"docs"})
    assert copied(narrowed) == copied(plan_of())
    assert not tape_actions(narrowed, ActionKind.EXPORT_CARTRIDGE) and not tape_actions(
        narrowed, ActionKind.IMPORT_CARTRIDGE)
