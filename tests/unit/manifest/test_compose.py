"""The event-stream composer: ordinary YAML reads as before, and its bounds hold exactly."""

import pytest

from bkctl.errors import ManifestError
from bkctl.manifest import load_manifest
from bkctl.manifest.compose import ComposeProblem, compose
from bkctl.manifest.limits import MAX_ALIASES, MAX_DEPTH

SHARED = """\
version: 1
encryption: {passphrase_env: BKCTL_PASSPHRASE}
targets:
  local: {type: disk, path: repo}
workloads:
  etc:
    type: files
    paths: &dirs [/etc, /srv]
    policy: standard
    targets: &where [local]
  srv:
    type: files
    paths: *dirs
    policy: standard
    targets: *where
"""


def test_aliases_share_their_anchored_value(write_manifest):
    manifest = load_manifest(write_manifest(SHARED)).manifest
    assert manifest.workloads["srv"].paths == manifest.workloads["etc"].paths == ["/etc", "/srv"]


def test_a_problem_inside_an_aliased_value_points_into_the_anchor(write_manifest):
    path = write_manifest(SHARED.replace("targets: &where [local]", "targets: &where [lokal]"))
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    places = {(d.path, d.line, d.column) for d in caught.value.diagnostics}
    assert places == {("workloads.etc.targets[0]", 10, 22), ("workloads.srv.targets[0]", 10, 22)}


def test_a_wrong_aliased_value_is_reported_at_the_alias(write_manifest):
    text = SHARED.replace("targets: &where [local]", "description: &text x\n    targets: [local]")
    path = write_manifest(text.replace("paths: *dirs", "paths: *text").replace("*where", "[local]"))
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.path, diagnostic.line, diagnostic.column) == ("workloads.srv.paths", 14, 12)


def test_scalars_resolve_by_yaml_1_2_whatever_the_directive():
    document = compose("%YAML 1.1\n---\na: yes\nb: 0x1F\nc: 1_000\nd: ~\ne: 2026-01-01\nf: '8'\ng: 1.5\nh: TRUE\n", "f")
    assert document.data == {"a": "yes", "b": 31, "c": 1000, "d": None, "e": "2026-01-01", "f": "8", "g": 1.5,
                             "h": True}


def test_scalar_keys_are_text():
    assert compose("1: a\ntrue: b\n~: c\n1.5: d\n", "f").data == {"1": "a", "true": "b", "~": "c", "1.5": "d"}


def test_an_anchored_key_can_be_repeated_as_a_value():
    assert compose("&name etc: {}\nfirst: *name\n", "f").data == {"etc": {}, "first": "etc"}


def test_positions_of_keys_values_and_list_items_are_one_based():
    document = compose("a:\n  - x\n  - {b: 2}\n", "f")
    assert (document.keys[("a",)].line, document.keys[("a",)].column) == (1, 1)
    assert (document.values[("a", 1)].line, document.values[("a", 1)].column) == (3, 5)
    assert (document.keys[("a", 1, "b")].column, document.values[("a", 1, "b")].column) == (6, 9)


def test_nesting_up_to_the_bound_is_accepted_and_one_more_level_is_not():
    assert compose("x: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1), "f").data is not None
    with pytest.raises(ComposeProblem, match="nesting deeper"):
        compose("x: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH, "f")


def test_an_alias_counts_at_its_expanded_depth():
    nested = "[" * 20 + "]" * 20
    with pytest.raises(ComposeProblem, match="expands to nesting deeper"):
        compose(f"a: &a {nested}\nb: {'[' * 13}*a{']' * 13}\n", "f")


def test_more_aliases_than_the_bound_are_refused_at_the_first_extra_one():
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(ComposeProblem, match=f"more than {MAX_ALIASES} aliases") as caught:
        compose(text, "f")
    assert (caught.value.line, caught.value.column) == (2, 5 + 4 * MAX_ALIASES)


@pytest.mark.parametrize("form", ["<<: *base", "<<: [*base]", "? <<\n  : *base"])
def test_merge_keys_are_refused_in_every_spelling(form):
    with pytest.raises(ComposeProblem, match="merge keys"):
        compose(f"base: &base {{a: 1}}\nx:\n  {form}\n", "f")


def test_a_quoted_merge_key_is_an_ordinary_key():
    assert compose("'<<': 1\n", "f").data == {"<<": 1}
