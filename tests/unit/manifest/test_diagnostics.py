"""Each kind of manifest problem is reported with its exact file:line:column and field."""

from pathlib import Path

import pytest

from bkctl.errors import ManifestError
from bkctl.manifest import load_manifest

VALID = """\
version: 1
encryption:
  passphrase_env: BKCTL_PASSPHRASE
targets:
  local:
    type: disk
    path: backups
workloads:
  etc:
    type: files
    paths: [/etc]
    policy: standard
    targets: [local]
"""


def problems(path: Path) -> list[tuple[str, int, int, str, str, str]]:
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    return [(Path(d.file).name, d.line, d.column, d.path, d.message, d.hint) for d in caught.value.diagnostics]


def test_a_valid_manifest_loads_and_resolves_library_policies(write_manifest):
    loaded = load_manifest(write_manifest(VALID))
    assert loaded.manifest.policy_for("etc").schedule.per_day == 3
    assert loaded.digest.startswith("sha256:")


def test_yaml_syntax_error_names_line_and_column(write_manifest):
    path = write_manifest("version: 1\ntargets:\n  local: {type: disk, path: [x\n")
    [(name, line, column, _, message, _)] = problems(path)
    assert (name, line) == ("bkctl.yaml", 4)
    assert "invalid YAML" in message


def test_duplicate_key_in_one_file_is_an_error(write_manifest):
    path = write_manifest(VALID + "version: 1\n")
    [(name, line, _, _, message, _)] = problems(path)
    assert line == 14 and "duplicate key" in message


def test_unknown_key_names_the_field_and_suggests_the_nearest(write_manifest):
    path = write_manifest(VALID.replace("    paths: [/etc]", "    paths: [/etc]\n    exclud: ['*.tmp']"))
    [(name, line, column, field, message, hint)] = problems(path)
    assert (line, column, field) == (12, 5, "workloads.etc.exclud")
    assert message == "unknown key 'exclud'"
    assert hint.startswith("did you mean 'exclude'?") and "one_file_system" in hint


def test_unknown_top_level_key(write_manifest):
    path = write_manifest(VALID + "workload: {}\n")
    [(_, line, column, field, message, hint)] = problems(path)
    assert (line, column, field, message) == (14, 1, "workload", "unknown key 'workload'")
    assert "did you mean 'workloads'?" in hint


def test_missing_required_field_points_at_its_parent(write_manifest):
    path = write_manifest(VALID.replace("    path: backups\n", ""))
    [(_, line, column, field, message, _)] = problems(path)
    assert (line, column, field, message) == (5, 3, "targets.local.path", "'path' is required")


def test_unknown_type_suggests_the_nearest_type(write_manifest):
    path = write_manifest(VALID.replace("type: disk", "type: dsik"))
    [(_, line, column, field, message, hint)] = problems(path)
    assert (line, column, field, message) == (6, 11, "targets.local.type", "unknown type 'dsik'")
    assert "did you mean 'disk'?" in hint and "vault" in hint


def test_bad_duration_names_the_value_and_valid_units(write_manifest):
    path = write_manifest(VALID + "policies:\n  p:\n    schedule: {every: 8hours}\n    retention: {daily: 3}\n")
    [(_, line, column, field, message, _)] = problems(path)
    assert (line, field) == (16, "policies.p.schedule.every")
    assert "invalid duration '8hours'" in message and "15min" in message and "6mo" in message


def test_bad_size_names_the_value(write_manifest):
    path = write_manifest(
        VALID + "  t:\n    type: files\n    paths: [a]\n    policy: standard\n    targets: [tape]\n"
        "targets:\n" if False else VALID.replace(
            "targets:\n  local:", "targets:\n  tape:\n    type: tape\n    library: lib\n    cartridges: 2\n"
            "    cartridge_capacity: 800XB\n  local:")
    )
    [(_, line, _, field, message, _)] = problems(path)
    assert (line, field) == (9, "targets.tape.cartridge_capacity")
    assert "invalid size '800XB'" in message


def test_unknown_policy_reference_suggests_library_names(write_manifest):
    path = write_manifest(VALID.replace("policy: standard", "policy: standart"))
    [(_, line, column, field, message, hint)] = problems(path)
    assert (line, column, field, message) == (12, 13, "workloads.etc.policy", "unknown policy 'standart'")
    assert hint.startswith("did you mean 'standard'?")


def test_unknown_target_reference_suggests_defined_targets(write_manifest):
    path = write_manifest(VALID.replace("targets: [local]", "targets: [locl]"))
    [(_, line, column, field, message, hint)] = problems(path)
    assert (line, column, field, message) == (13, 15, "workloads.etc.targets[0]", "unknown target 'locl'")
    assert "did you mean 'local'?" in hint


def test_empty_retention_is_reported_at_the_retention(write_manifest):
    path = write_manifest(VALID + "policies:\n  p:\n    schedule: {every: 1h}\n    retention: {min_points: 2}\n")
    [(_, line, _, field, message, _)] = problems(path)
    assert (line, field) == (17, "policies.p.retention") and "keeps nothing" in message


def test_invalid_name_is_reported_at_the_key(write_manifest):
    path = write_manifest(VALID.replace("  etc:\n", "  Etc Files:\n"))
    [(_, line, column, field, message, _)] = problems(path)
    assert (line, column, message) == (9, 3, "invalid name 'Etc Files'")


def test_missing_passphrase_source_is_an_error(write_manifest):
    path = write_manifest(VALID.replace("encryption:\n  passphrase_env: BKCTL_PASSPHRASE\n", ""))
    [(_, line, _, field, message, _)] = problems(path)
    assert (line, field) == (3, "targets.local") and "passphrase" in message


def test_every_problem_is_reported_in_one_run(write_manifest):
    text = VALID.replace("type: disk", "type: dsik").replace("policy: standard", "policy: nope")
    text = text.replace("paths: [/etc]", "paths: [/etc]\n    compression: 99")
    assert len(problems(write_manifest(text))) == 3


def test_name_defined_twice_in_a_directory_names_both_files(tmp_path):
    (tmp_path / "a.yaml").write_text(VALID)
    (tmp_path / "b.yaml").write_text("targets:\n  local:\n    type: disk\n    path: other\n")
    [(name, line, column, field, message, hint)] = problems(tmp_path)
    assert (name, line, column, field) == ("b.yaml", 2, 3, "targets.local")
    assert message == "target 'local' is defined twice"
    assert hint.endswith("a.yaml:5:3")


def test_a_directory_manifest_merges_files_and_local_policies(tmp_path):
    (tmp_path / "targets.yaml").write_text(VALID.split("workloads:")[0])
    (tmp_path / "workloads.yaml").write_text("workloads:" + VALID.split("workloads:")[1].replace("standard", "mine"))
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "mine.yaml").write_text("schedule: {every: 2h}\nretention: {last: 3}\n")
    loaded = load_manifest(tmp_path)
    assert loaded.manifest.policy_for("etc").retention.last == 3
    assert len(loaded.files) == 2


def test_errors_in_a_local_policy_file_point_into_that_file(tmp_path):
    (tmp_path / "bkctl.yaml").write_text(VALID.replace("standard", "mine"))
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "mine.yaml").write_text("schedule: {every: 2h}\nretention:\n  dayly: 3\n")
    [(name, line, column, field, message, hint)] = problems(tmp_path / "bkctl.yaml")
    assert (name, line, column, field) == ("mine.yaml", 3, 3, "policies.mine.retention.dayly")
    assert "did you mean 'daily'?" in hint


def test_a_local_policy_overrides_the_library(tmp_path):
    (tmp_path / "bkctl.yaml").write_text(VALID)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "standard.yaml").write_text("schedule: {every: 5h}\nretention: {last: 2}\n")
    assert load_manifest(tmp_path / "bkctl.yaml").manifest.policy_for("etc").retention.last == 2


def test_relative_paths_resolve_against_the_manifest_file(write_manifest, tmp_path):
    loaded = load_manifest(write_manifest(VALID))
    assert loaded.resolve_path("targets", "local", "backups") == tmp_path / "backups"


def test_digest_ignores_comments_but_not_content(write_manifest, tmp_path):
    first = load_manifest(write_manifest(VALID)).digest
    second = load_manifest(write_manifest("# a comment\n" + VALID, "other.yaml")).digest
    third = load_manifest(write_manifest(VALID.replace("/etc", "/srv"), "third.yaml")).digest
    assert first == second != third


def test_a_hook_problem_of_a_command_workload_names_the_hooks_line(write_manifest):
    # A command workload has a key named like its type tag; the path must still skip the tag.
    path = write_manifest(VALID + "  out:\n    type: command\n    command: [env]\n    policy: standard\n"
                                  "    targets: [local]\n    hooks:\n      before: [pg_ctl, stop, -m, fast]\n")
    [(name, line, _, field, message, _)] = problems(path)
    assert (name, line, field) == ("bkctl.yaml", 20, "workloads.out.hooks.before")
    assert "did you mean one argv list: [[pg_ctl, stop, -m, fast]]?" in message


def test_a_wrong_command_of_a_command_workload_names_the_command_line(write_manifest):
    path = write_manifest(VALID + "  out:\n    type: command\n    command: []\n    policy: standard\n"
                                  "    targets: [local]\n")
    [(_, line, _, field, _, _)] = problems(path)
    assert (line, field) == (16, "workloads.out.command")
