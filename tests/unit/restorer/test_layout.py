"""Which stored folders are intermediate (only lead to a backed-up root) and which are roots."""

from __future__ import annotations

from bkctl.restorer.layout import Layout


def test_the_parents_of_a_backed_up_folder_are_intermediate_and_it_is_a_root():
    layout = Layout.of(["/tmp/work/src"])
    assert layout.roots == {"tmp/work/src"}
    assert layout.intermediates == {"tmp", "tmp/work"}
    assert layout.root("tmp/work/src") and not layout.intermediate("tmp/work/src")
    assert not layout.intermediate("tmp/work/src/inner")


def test_a_folder_backed_up_beside_its_own_child_is_not_intermediate():
    layout = Layout.of(["/srv/a", "/srv/a/b"])
    assert layout.intermediates == {"srv"}
    assert layout.root("srv/a") and layout.root("srv/a/b")


def test_several_roots_share_their_common_parents():
    assert Layout.of(["/home/ann", "/home/bob/.ssh"]).intermediates == {"home", "home/bob"}


def test_paths_are_normalised_as_the_archiver_stores_them():
    layout = Layout.of(["/tmp/./x/../src/"])
    assert layout.roots == {"tmp/src"} and layout.intermediates == {"tmp"}


def test_the_filesystem_root_has_no_intermediates():
    layout = Layout.of(["/"])
    assert layout.roots == {""} and layout.intermediates == frozenset()
    assert not layout.intermediate("etc")


def test_a_point_without_recorded_paths_treats_every_folder_as_backed_up():
    assert Layout.of([]).intermediates == frozenset()


def test_a_stream_item_name_is_its_own_root():
    layout = Layout.of(["dump.sql"])
    assert layout.roots == {"dump.sql"} and layout.intermediates == frozenset()
