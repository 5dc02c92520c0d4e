"""The definition digest changes exactly when what a backup reads changes."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from bkctl.model import Workload
from bkctl.model.definition import definition_digest

FILES = {"type": "files", "paths": ["/etc"], "policy": "std", "targets": ["local"]}
POSTGRES = {"type": "postgres", "server": "db1", "database": "app", "policy": "std", "targets": ["local"]}
COMMAND = {"type": "command", "command": ["etcdctl", "snapshot"], "policy": "std", "targets": ["local"]}


def digest(data: dict) -> str:
    return definition_digest(TypeAdapter(Workload).validate_python(data))


@pytest.mark.parametrize(("base", "change"), [
    (FILES, {"paths": ["/etc", "/srv"]}),
    (FILES, {"include": ["*.conf"]}),
    (FILES, {"exclude": ["*.tmp"]}),
    (FILES, {"one_file_system": True}),
    (FILES, {"compression": "off"}),
    (POSTGRES, {"database": "other"}),
    (POSTGRES, {"server": "db2"}),
    (POSTGRES, {"globals": True}),
    (COMMAND, {"command": ["etcdctl", "snapshot", "--all"]}),
    ({"type": "sqlite", "path": "a.db", "policy": "std", "targets": ["local"]}, {"path": "b.db"}),
], ids=lambda value: ",".join(value) if "type" not in value else value["type"])
def test_a_change_to_what_is_read_changes_the_digest(base: dict, change: dict) -> None:
    assert digest({**base, **change}) != digest(base)


@pytest.mark.parametrize("change", [
    {"policy": "other"}, {"targets": ["local", "offsite"]}, {"description": "the config"},
    {"hooks": {"before": ["sync"]}}, {"host": "web-02"},
], ids=lambda value: next(iter(value)))
def test_where_when_and_who_leave_the_digest_alone(change: dict) -> None:
    assert digest({**FILES, **change}) == digest(FILES)


def test_the_digest_is_a_stable_sha256_of_canonical_json() -> None:
    assert digest(FILES) == digest(dict(reversed(list(FILES.items()))))
    assert len(digest(FILES)) == 64 and int(digest(FILES), 16) >= 0
