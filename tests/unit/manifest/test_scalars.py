"""Scalar conversion: YAML 1.2 core values only, numbers bounded, tags refused."""

import pytest

from bkctl.manifest.scalars import CORE, ScalarProblem, scalar_value


@pytest.mark.parametrize(
    ("text", "tag", "expected"),
    [("12", "int", 12), ("-0x1F", "int", -31), ("0o17", "int", 15), ("0b101", "int", 5), ("1_000", "int", 1000),
     ("0" * 5000 + "7", "int", 7), (str(2**63 - 1), "int", 2**63 - 1),
     ("1.5", "float", 1.5), (".5", "float", 0.5), ("1e3", "float", 1000.0),
     ("7", "float", 7.0), ("True", "bool", True), ("FALSE", "bool", False), ("anything", "null", None),
     ("2026-01-01T10:00:00Z", "timestamp", "2026-01-01T10:00:00Z"), ("<<", "merge", "<<"), ("8h", "str", "8h")],
)
def test_core_scalars_convert(text, tag, expected):
    assert scalar_value(text, CORE + tag) == expected


@pytest.mark.parametrize(
    ("text", "tag", "fragment"),
    [(str(2**63), "int", "too large"), ("9" * 5000, "int", "too large"), ("0x" + "f" * 70, "int", "too large"),
     ("x", "int", "as an integer"), ("_", "int", "as an integer"), ("0x", "int", "as an integer"),
     (".nan", "float", "not a finite number"), ("-.inf", "float", "not a finite number"),
     ("1e999", "float", "too large"), ("._", "float", "as a number"), ("yes", "bool", "true or false"),
     ("2026-13-45x", "timestamp", "date or time"), ("aGk=", "binary", "'!!binary' is not supported"),
     ("x", "python/name:os.system", "not supported"), ("1", "!local", "'!local' is not supported")],
)
def test_scalars_a_manifest_cannot_mean_are_problems(text, tag, fragment):
    with pytest.raises(ScalarProblem, match=fragment.replace("(", r"\(")):
        scalar_value(text, tag if tag.startswith("!") else CORE + tag)


def test_a_problem_message_shows_at_most_forty_characters_of_the_value():
    with pytest.raises(ScalarProblem) as caught:
        scalar_value("9" * 5000, CORE + "int")
    assert len(caught.value.message) < 80
