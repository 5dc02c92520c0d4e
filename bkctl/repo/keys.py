"""Key objects: a repository's secrets wrapped by a key derived from a passphrase (Argon2id).

In a format 2 repository every ``keys/<id>`` object wraps the same :class:`MasterKey`. In
format 3 each wraps the secrets of its role (:mod:`bkctl.repo.roles`) and carries, in
plain text, its role, host and signing public key, endorsed (signed) by the owner: a
reader verifies point signatures against endorsed keys only. Adding or removing a
passphrase never re-encrypts data. The KDF parameters live in each key object, so the
cost can be raised later without breaking old keys.
"""

from __future__ import annotations

import base64
import getpass
import json
import os
import secrets
import socket
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from argon2.low_level import Type, hash_secret_raw

from bkctl.errors import PassphraseError, RepositoryCorruptError
from bkctl.repo.crypto import MasterKey
from bkctl.secrets import Secret

__all__ = ["Endorsement", "KdfParams", "KeyInfo", "KeyObject", "create_key_object", "master_from_payload",
           "master_payload", "new_key_info", "unwrap_payload"]


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: 8 passes over 32 MiB, about 0.13 s here.

    Why 32 MiB rather than RFC 9106's 64 MiB x 3: the derivation's memory is the peak of
    every small command (interpreter and imports are ~35 MiB), and 32 MiB is the memory
    restic's scrypt uses (N=2^15, r=8). The extra passes keep the defender's work above the
    RFC setting's (256 against 192 MiB of passes). Each key object records its own
    parameters, so keys made with the old default still open and the cost can be raised.
    """

    time_cost: int = 8
    memory_cost: int = 32768  # KiB
    parallelism: int = 4

    @classmethod
    def default(cls) -> KdfParams:
        """Tiny parameters when ``BKCTL_TEST_FAST_KDF=1`` so test suites stay fast."""
        if os.environ.get("BKCTL_TEST_FAST_KDF") == "1":
            return cls.fast()
        return cls()

    @classmethod
    def fast(cls) -> KdfParams:
        return cls(time_cost=1, memory_cost=64, parallelism=1)


@dataclass(frozen=True)
class KeyInfo:
    id: str
    created: datetime
    host: str
    user: str
    role: str = "owner"


@dataclass(frozen=True)
class Endorsement:
    """The public part of a format 3 key, signed by the owner: ``signing`` verifies its points,
    ``grant`` receives its epoch secrets (bkctl.repo.roles)."""

    signing: bytes  # Ed25519 public key
    grant: bytes  # X25519 public key
    signature: bytes = b""

    def message(self, info: KeyInfo) -> bytes:
        body = {"id": info.id, "role": info.role, "host": info.host, "signing": _b64(self.signing),
                "grant": _b64(self.grant)}
        return b"bkctl-key-endorsement\x00" + json.dumps(body, sort_keys=True).encode()


@dataclass(frozen=True)
class KeyObject:
    info: KeyInfo
    kdf: KdfParams
    salt: bytes
    wrapped: bytes
    endorsement: Endorsement | None = None

    def to_bytes(self) -> bytes:
        document: dict[str, object] = {
            "version": 1 if self.endorsement is None else 2,
            "created": self.info.created.isoformat(),
            "host": self.info.host,
            "user": self.info.user,
            "kdf": {"algorithm": "argon2id", **asdict(self.kdf), "salt": _b64(self.salt)},
            "data": _b64(self.wrapped),
        }
        if self.endorsement is not None:
            document.update(role=self.info.role, signing=_b64(self.endorsement.signing),
                            grant=_b64(self.endorsement.grant), endorsement=_b64(self.endorsement.signature))
        return json.dumps(document, indent=1).encode()

    @classmethod
    def from_bytes(cls, key_id: str, raw: bytes) -> KeyObject:
        try:
            doc = json.loads(raw)
            kdf = doc["kdf"]
            info = KeyInfo(key_id, datetime.fromisoformat(doc["created"]), doc["host"],
                           doc["user"], str(doc.get("role", "owner")))
            params = KdfParams(kdf["time_cost"], kdf["memory_cost"], kdf["parallelism"])
            endorsement = (Endorsement(base64.b64decode(doc["signing"]), base64.b64decode(doc["grant"]),
                                       base64.b64decode(doc["endorsement"]))
                           if doc.get("version") == 2 else None)
            return cls(info, params, base64.b64decode(kdf["salt"]), base64.b64decode(doc["data"]), endorsement)
        except (ValueError, KeyError, TypeError) as exc:
            raise RepositoryCorruptError(f"key object keys/{key_id} is unreadable: {exc}") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def derive(passphrase: Secret, kdf: KdfParams, salt: bytes) -> MasterKey:
    """The key-encryption key, shaped as a MasterKey so it can seal and open."""
    raw = hash_secret_raw(
        passphrase.reveal().encode(), salt, time_cost=kdf.time_cost,
        memory_cost=kdf.memory_cost, parallelism=kdf.parallelism, hash_len=32, type=Type.ID,
    )
    return MasterKey(raw, b"", 0)


def new_key_info(role: str = "owner", host: str | None = None) -> KeyInfo:
    return KeyInfo(secrets.token_hex(16), datetime.now(UTC).replace(microsecond=0),
                   host or socket.gethostname(), _user(), role)


def master_payload(master: MasterKey) -> dict[str, object]:
    """What a format 2 key object wraps: the one master key."""
    return {"encryption": _b64(master.encryption), "identity": _b64(master.identity),
            "chunker_seed": master.chunker_seed}


def create_key_object(payload: dict[str, object], passphrase: Secret, kdf: KdfParams,
                      info: KeyInfo | None = None, endorsement: Endorsement | None = None) -> KeyObject:
    salt = os.urandom(16)
    wrapped = derive(passphrase, kdf, salt).seal(json.dumps(payload).encode(), b"bkctl-key")
    return KeyObject(info or new_key_info(), kdf, salt, wrapped, endorsement)


def unwrap_payload(key: KeyObject, passphrase: Secret) -> dict[str, object] | None:
    """What the key object wraps, or None when it does not match the passphrase."""
    kek = derive(passphrase, key.kdf, key.salt)
    try:
        payload = kek.open(key.wrapped, b"bkctl-key")
    except RepositoryCorruptError:
        return None
    document: dict[str, object] = json.loads(payload)
    return document


def master_from_payload(doc: dict[str, object]) -> MasterKey:
    return MasterKey(base64.b64decode(str(doc["encryption"])), base64.b64decode(str(doc["identity"])),
                     int(str(doc["chunker_seed"])))


def wrong_passphrase(repository_id: str) -> PassphraseError:
    return PassphraseError(
        f"wrong passphrase for repository {repository_id}",
        hint="check the passphrase environment variable or file of this target",
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
