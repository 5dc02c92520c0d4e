"""Naming points for ls/diff/forget (unique prefixes, README codes) and forget's safety rails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bkctl.errors import ExitCode, NotFoundError, RepositoryCorruptError, TargetUnreachableError
from bkctl.model.state import PointRecord
from bkctl.operations import AmbiguousPointError, PointRow, Readable, forget_refusals, match_point, resolve_point

START = datetime(2026, 1, 1, tzinfo=UTC)


def row(point_id: str, *, target: str = "local", workload: str = "docs", partial: bool = False,
        hours: int = 0) -> PointRow:
    return PointRow(target, PointRecord(id=point_id, workload=workload, host="h", time=START + timedelta(hours=hours),
                                        partial=partial))


def test_a_unique_prefix_names_every_copy_of_one_point() -> None:
    found = Readable(rows=[row("ab12" + "0" * 28), row("ab12" + "0" * 28, target="copy"), row("cd" + "0" * 30)])
    assert [r.target for r in match_point(found, "ab")] == ["local", "copy"]


def test_a_prefix_of_two_points_is_a_usage_error_64() -> None:
    found = Readable(rows=[row("ab12" + "0" * 28), row("ab34" + "0" * 28)])
    with pytest.raises(AmbiguousPointError, match=r"ambiguous: ab12.*ab34") as raised:
        match_point(found, "ab")
    assert raised.value.exit_code == ExitCode.USAGE
    assert len(match_point(found, "ab3")) == 1


def test_a_damaged_document_counts_for_ambiguity_and_is_67_when_read() -> None:
    found = Readable(rows=[row("ab12" + "0" * 28)], damaged=[("local", "ab99" + "0" * 28)])
    with pytest.raises(AmbiguousPointError):
        resolve_point(found, "ab")
    assert resolve_point(found, "ab9") == ([], [("local", "ab99" + "0" * 28)])
    with pytest.raises(RepositoryCorruptError) as raised:
        match_point(found, "ab9")
    assert raised.value.exit_code == ExitCode.CORRUPT


def test_not_found_is_66_unless_a_target_could_not_be_read() -> None:
    with pytest.raises(NotFoundError):
        match_point(Readable(rows=[row("ab" + "0" * 30)]), "ff")
    offline = Readable(failures={"vault": TargetUnreachableError("connection refused")})
    with pytest.raises(TargetUnreachableError):
        match_point(offline, "ff")


HISTORY = [row(f"{n:032x}", hours=n) for n in range(6)] + [row("f" * 32, target="copy")]


def refusals(doomed: list[PointRow], *, limit: int = 50, allow_last: bool = False,
             allow_mass_prune: bool = False) -> list[str]:
    return forget_refusals(doomed, HISTORY, limit=limit, allow_last=allow_last, allow_mass_prune=allow_mass_prune)


def test_a_few_named_points_may_go() -> None:
    assert refusals(HISTORY[:3]) == []


def test_more_than_the_manifest_allows_needs_allow_mass_prune() -> None:
    assert "max_prune_per_apply (2)" in refusals(HISTORY[:3], limit=2)[0]
    assert refusals(HISTORY[:3], limit=2, allow_mass_prune=True) == []


def test_more_than_half_of_a_workloads_points_needs_allow_mass_prune() -> None:
    (reason,) = refusals(HISTORY[:4])
    assert "4 of the 6 points" in reason and "--allow-mass-prune" in reason
    assert refusals(HISTORY[:4], allow_mass_prune=True) == []


def test_the_last_complete_point_of_a_target_needs_allow_last() -> None:
    (reason,) = refusals(HISTORY[-1:])
    assert "in target 'copy' would keep no complete recovery point" in reason
    assert refusals(HISTORY[-1:], allow_last=True) == []
    partial_only = [row("e" * 32, target="copy", partial=True)]
    assert forget_refusals(partial_only, [*HISTORY, *partial_only], limit=50, allow_last=False,
                           allow_mass_prune=False) == []
