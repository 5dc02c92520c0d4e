"""Recovery point documents: the small, sealed JSON written last by every backup.

Stored as ``points/<32 hex>``. Because nothing references a point, writing it is the
commit: a backup killed before this write leaves only unreferenced data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.crypto import MasterKey

__all__ = ["PointInfo", "decode_point", "encode_point"]

_AD = b"bkctl-point"


@dataclass(frozen=True)
class PointInfo:
    """One recovery point. ``kind`` is ``files`` or ``stream``; ``root`` the root tree id."""

    id: str
    workload: str
    host: str
    time: datetime
    partial: bool
    stats: dict[str, Any]
    meta: dict[str, Any]
    kind: str = "files"
    root: str = ""
    paths: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    tool_version: str = ""
    parent: str | None = None


def encode_point(key: MasterKey, point: PointInfo) -> bytes:
    document = {
        "version": 1, "id": point.id, "workload": point.workload, "host": point.host,
        "time": point.time.astimezone(UTC).isoformat(), "partial": point.partial,
        "stats": point.stats, "meta": point.meta, "kind": point.kind, "root": point.root,
        "paths": point.paths, "errors": point.errors, "tool_version": point.tool_version,
        "parent": point.parent,
    }
    return key.seal(json.dumps(document, sort_keys=True).encode(), _AD)


def decode_point(key: MasterKey, name: str, raw: bytes) -> PointInfo:
    body = key.open(raw, _AD, what=f"recovery point {name}")
    try:
        d = json.loads(body)
        return PointInfo(
            id=d["id"], workload=d["workload"], host=d["host"],
            time=datetime.fromisoformat(d["time"]).astimezone(UTC), partial=d["partial"],
            stats=d["stats"], meta=d["meta"], kind=d["kind"], root=d["root"],
            paths=d["paths"], errors=d["errors"], tool_version=d["tool_version"],
            parent=d.get("parent"),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise RepositoryCorruptError(f"recovery point {name} is unreadable: {exc}") from None
