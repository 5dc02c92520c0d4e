"""Object names are checked in one place, so no store can be led outside its root."""

from __future__ import annotations

import pytest

from bkctl.store.base import InvalidNameError, validate_name, validate_prefix


@pytest.mark.parametrize("name", ["config", "data/ab/abcdef", "keys/1", "a.b/c-d_e"])
def test_ordinary_names_are_accepted(name):
    assert validate_name(name) == name


@pytest.mark.parametrize("name", ["", "/abs", "..", "a/..", "a//b", "./a", "a\\b", "a/"])
def test_escaping_or_ambiguous_names_are_refused(name):
    with pytest.raises(InvalidNameError):
        validate_name(name)


def test_prefixes_may_be_empty_or_end_with_a_slash():
    assert validate_prefix("") == ""
    assert validate_prefix("index/") == "index/"
    with pytest.raises(InvalidNameError):
        validate_prefix("../")
