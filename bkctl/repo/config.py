"""The ``config`` object: plain JSON (readable before any key is known), authenticated after.

It must be readable without a key (its ``version`` decides how to open the rest), so it
cannot be sealed; instead it carries ``mac``, a GCM tag over its canonical JSON made with
the master key (an AEAD seal of nothing with the document as associated data). Once a
passphrase opened the master key, any changed byte in ``id``, ``created`` or ``chunker``
fails that check, instead of silently moving the cache or changing the repository's
identity. Format 1 repositories had no ``mac``; opening one writes the format 2 config.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bkctl.errors import BkctlError, RepositoryCorruptError
from bkctl.repo.chunker import NEW_PROFILE
from bkctl.repo.crypto import MasterKey

__all__ = ["FORMAT_VERSION", "READABLE_VERSIONS", "authenticate", "new_config", "parse", "encode"]

FORMAT_VERSION = 3  # 3: key roles (bkctl.repo.roles); 2: one master key, authenticated config
READABLE_VERSIONS = (1, 2, 3)
_AD_PREFIX = b"bkctl-config\x00"


def new_config() -> dict[str, Any]:
    return {"version": FORMAT_VERSION, "id": secrets.token_hex(32),
            "created": datetime.now(UTC).isoformat(), "chunker": NEW_PROFILE}


def parse(raw: bytes) -> dict[str, Any]:
    """The document, checked for shape and version before any key is tried."""
    try:
        document = json.loads(raw)
        if not isinstance(document, dict) or not isinstance(document.get("id"), str):
            raise ValueError("not a config object")
    except ValueError:
        raise RepositoryCorruptError("repository config is unreadable",
                                     hint="run `bkctl verify`; the config cannot be rebuilt from "
                                     "other objects") from None
    version = document.get("version")
    if version not in READABLE_VERSIONS:
        raise BkctlError(f"repository format version {version} is not supported "
                         f"(this bkctl reads {', '.join(map(str, READABLE_VERSIONS))})")
    return document


def encode(key: MasterKey, fields: dict[str, Any], version: int = FORMAT_VERSION,
           owner: Ed25519PrivateKey | None = None) -> bytes:
    """The config with its ``mac`` (format 2 or later) and, in format 3, the owner's signature.

    In format 3 every key holds the metadata key the ``mac`` is made with, writers too; the
    owner's signature (``owner_signature``, over the same canonical body) is what a writer
    cannot forge: the current epoch, the generation, the format.
    """
    body = {name: value for name, value in fields.items() if name not in ("mac", "owner_signature")}
    body["version"] = version
    tag = key.seal(b"", _canonical(body))
    document = {**body, "mac": base64.b64encode(tag).decode()}
    if owner is not None:
        document["owner_signature"] = base64.b64encode(owner.sign(_canonical(body))).decode()
    return json.dumps(document, indent=1).encode()


def check_owner_signature(document: dict[str, Any], owner_verify: Ed25519PublicKey) -> None:
    """RepositoryCorruptError unless the owner signed this (format 3) config as it is."""
    body = {name: value for name, value in document.items() if name not in ("mac", "owner_signature")}
    try:
        owner_verify.verify(base64.b64decode(str(document.get("owner_signature", "")), validate=True),
                            _canonical(body))
    except (InvalidSignature, ValueError):
        raise RepositoryCorruptError("repository config is not signed by the owner (forged or damaged)",
                                     hint="put back a good copy of `config` (a key holder or someone with storage "
                                     "access replaced it); it cannot be rebuilt from other objects") from None


def authenticate(key: MasterKey, document: dict[str, Any]) -> bool:
    """Check ``mac``; returns True when the document is format 1 and needs migrating."""
    mac = document.get("mac")
    if document.get("version") == 1 and mac is None:
        return True
    if not isinstance(mac, str):
        raise RepositoryCorruptError("repository config has no valid authentication tag (damaged)")
    body = {name: value for name, value in document.items() if name not in ("mac", "owner_signature")}
    try:
        tag = base64.b64decode(mac, validate=True)
    except ValueError:
        raise RepositoryCorruptError("repository config's authentication tag is damaged") from None
    key.open(tag, _canonical(body), what="repository config")
    return False


def _canonical(body: dict[str, Any]) -> bytes:
    return _AD_PREFIX + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
