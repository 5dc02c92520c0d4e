"""Recovery point documents: the small, sealed JSON written last by every backup.

Stored as ``points/<32 hex>``. Because nothing references a point, writing it is the
commit: a backup killed before this write leaves only unreferenced data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.crypto import MasterKey

__all__ = ["SIGNED_OBJECT", "SIGNED_POINT", "PointInfo", "decode_point", "encode_point", "sign_point", "signed_by",
           "signer_of"]

_AD = b"bkctl-point"
SIGNED_POINT = b"bkctl-signed-point\x00"
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
    domain: str = ""  # format 3: the dedup domain its chunk ids are keyed in ("" = the owner's)


PRIVATE_FIELDS = ("root", "paths", "errors")
"""What a point names of the files it holds: in format 3 sealed apart (``private``), so keys
that only list points (writers, planning) never see a file name."""


def encode_point(key: MasterKey, point: PointInfo,
                 seal_private: Callable[[bytes], dict[str, Any]] | None = None) -> bytes:
    """The sealed document; with ``seal_private`` the root, paths and errors go in its ``private`` field."""
    document: dict[str, Any] = {
        "version": 1, "id": point.id, "workload": point.workload, "host": point.host,
        "time": point.time.astimezone(UTC).isoformat(), "partial": point.partial,
        "stats": point.stats, "meta": point.meta, "kind": point.kind, "root": point.root,
        "paths": point.paths, "errors": point.errors, "tool_version": point.tool_version,
        "parent": point.parent,
    }
    if point.domain:
        document["domain"] = point.domain
    if seal_private is not None:
        hidden = {name: document.pop(name) for name in PRIVATE_FIELDS}
        document["private"] = seal_private(json.dumps(hidden, sort_keys=True).encode())
    return key.seal(json.dumps(document, sort_keys=True).encode(), _AD)


def decode_point(key: MasterKey, name: str, raw: bytes,
                 open_private: Callable[[dict[str, Any]], bytes | None] | None = None) -> PointInfo:
    """The point; its ``private`` part (format 3) through ``open_private``, or left out (empty)
    when that is None or returns None (a key that may not read it)."""
    body = key.open(raw, _AD, what=f"recovery point {name}")
    try:
        d = json.loads(body)
        sealed = d.pop("private", None)
        if sealed is not None:
            revealed = open_private(sealed) if open_private is not None else None
            d.update(json.loads(revealed) if revealed is not None else {"root": "", "paths": [], "errors": []})
        if name.startswith("points/") and d["id"] != name.removeprefix("points/"):
            raise ValueError(f"it names itself {d['id']!r}")  # a point replayed under another name
        return PointInfo(
            id=d["id"], workload=d["workload"], host=d["host"],
            time=datetime.fromisoformat(d["time"]).astimezone(UTC), partial=d["partial"],
            stats=d["stats"], meta=d["meta"], kind=d["kind"], root=d["root"],
            paths=d["paths"], errors=d["errors"], tool_version=d["tool_version"],
            parent=d.get("parent"), domain=str(d.get("domain", "")),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise RepositoryCorruptError(f"recovery point {name} is unreadable: {exc}") from None


SIGNED_OBJECT = b"bkctl-signed-object\x00"
"""The same envelope for marks and index objects a maintenance key writes (see Repository.sign_object)."""


def sign_point(raw: bytes, name: str, key_id: str, signing: Ed25519PrivateKey, magic: bytes = SIGNED_POINT) -> bytes:
    """Format 3: ``magic || signer key id(16) || Ed25519(name || sealed) || sealed``.

    The name is signed too, so a point cannot be replayed under another id.
    """
    signer = bytes.fromhex(key_id)
    return magic + signer + signing.sign(name.encode() + b"\x00" + raw) + raw


def signer_of(raw: bytes, magic: bytes = SIGNED_POINT) -> str:
    """The key id a signed object names as its signer ("" when it is not signed)."""
    if not raw.startswith(magic) or len(raw) < len(magic) + _KEY_ID_SIZE:
        return ""
    return raw[len(magic):len(magic) + _KEY_ID_SIZE].hex()


def signed_by(name: str, raw: bytes, signers: Mapping[str, Ed25519PublicKey],
              magic: bytes = SIGNED_POINT) -> tuple[str, bytes]:
    """The signer's key id and the sealed document; RepositoryCorruptError when unsigned or forged."""
    what = f"recovery point {name}" if magic == SIGNED_POINT else name
    head = len(magic) + _KEY_ID_SIZE + _SIGNATURE_SIZE
    if not raw.startswith(magic) or len(raw) < head:
        raise RepositoryCorruptError(f"{what} is not signed (forged or damaged)")
    key_id = raw[len(magic):len(magic) + _KEY_ID_SIZE].hex()
    signature, sealed = raw[len(magic) + _KEY_ID_SIZE:head], raw[head:]
    public = signers.get(key_id)
    if public is None:
        raise RepositoryCorruptError(f"{what} is signed by key {key_id[:12]}, which the owner "
                                     "did not endorse (forged, or its key was removed)")
    try:
        public.verify(signature, name.encode() + b"\x00" + sealed)
    except InvalidSignature:
        raise RepositoryCorruptError(f"{what} has a bad signature (forged or damaged)") from None
    return key_id, sealed
