"""Recovery point documents: the small, sealed JSON written last by every backup.

Stored as ``points/<32 hex>``. Because nothing references a point, writing it is the
commit: a backup killed before this write leaves only unreferenced data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.crypto import MasterKey

__all__ = ["PointInfo", "decode_point", "encode_point", "sign_point", "signed_by"]

_AD = b"bkctl-point"
_SIGNED = b"bkctl-signed-point\x00"
_KEY_ID_SIZE, _SIGNATURE_SIZE = 16, 64


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


def sign_point(raw: bytes, name: str, key_id: str, signing: Ed25519PrivateKey) -> bytes:
    """Format 3: ``magic || signer key id(16) || Ed25519(name || sealed) || sealed``.

    The name is signed too, so a point cannot be replayed under another id.
    """
    signer = bytes.fromhex(key_id)
    return _SIGNED + signer + signing.sign(name.encode() + b"\x00" + raw) + raw


def signed_by(name: str, raw: bytes, signers: Mapping[str, Ed25519PublicKey]) -> tuple[str, bytes]:
    """The signer's key id and the sealed document; RepositoryCorruptError when unsigned or forged."""
    head = len(_SIGNED) + _KEY_ID_SIZE + _SIGNATURE_SIZE
    if not raw.startswith(_SIGNED) or len(raw) < head:
        raise RepositoryCorruptError(f"recovery point {name} is not signed (forged or damaged)")
    key_id = raw[len(_SIGNED):len(_SIGNED) + _KEY_ID_SIZE].hex()
    signature, sealed = raw[len(_SIGNED) + _KEY_ID_SIZE:head], raw[head:]
    public = signers.get(key_id)
    if public is None:
        raise RepositoryCorruptError(f"recovery point {name} is signed by key {key_id[:12]}, which the owner "
                                     "did not endorse (forged, or its key was removed)")
    try:
        public.verify(signature, name.encode() + b"\x00" + sealed)
    except InvalidSignature:
        raise RepositoryCorruptError(f"recovery point {name} has a bad signature (forged or damaged)") from None
    return key_id, sealed
