"""Key objects: the master key wrapped by a key derived from a passphrase (Argon2id).

Every ``keys/<id>`` object wraps the same :class:`MasterKey`, so adding or removing a
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

__all__ = ["KdfParams", "KeyInfo", "KeyObject", "create_key_object", "unwrap"]


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. The default (3 passes, 64 MiB) takes about 0.2 s on one core."""

    time_cost: int = 3
    memory_cost: int = 65536  # KiB
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


@dataclass(frozen=True)
class KeyObject:
    info: KeyInfo
    kdf: KdfParams
    salt: bytes
    wrapped: bytes

    def to_bytes(self) -> bytes:
        document = {
            "version": 1,
            "created": self.info.created.isoformat(),
            "host": self.info.host,
            "user": self.info.user,
            "kdf": {"algorithm": "argon2id", **asdict(self.kdf), "salt": _b64(self.salt)},
            "data": _b64(self.wrapped),
        }
        return json.dumps(document, indent=1).encode()

    @classmethod
    def from_bytes(cls, key_id: str, raw: bytes) -> KeyObject:
        try:
            doc = json.loads(raw)
            kdf = doc["kdf"]
            info = KeyInfo(key_id, datetime.fromisoformat(doc["created"]), doc["host"],
                           doc["user"])
            params = KdfParams(kdf["time_cost"], kdf["memory_cost"], kdf["parallelism"])
            return cls(info, params, base64.b64decode(kdf["salt"]), base64.b64decode(doc["data"]))
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


def create_key_object(master: MasterKey, passphrase: Secret, kdf: KdfParams) -> KeyObject:
    salt = os.urandom(16)
    payload = json.dumps({
        "encryption": _b64(master.encryption),
        "identity": _b64(master.identity),
        "chunker_seed": master.chunker_seed,
    }).encode()
    wrapped = derive(passphrase, kdf, salt).seal(payload, b"bkctl-key")
    info = KeyInfo(secrets.token_hex(16), datetime.now(UTC).replace(microsecond=0),
                   socket.gethostname(), _user())
    return KeyObject(info, kdf, salt, wrapped)


def unwrap(key: KeyObject, passphrase: Secret) -> MasterKey | None:
    """The master key, or None when this key object does not match the passphrase."""
    kek = derive(passphrase, key.kdf, key.salt)
    try:
        payload = kek.open(key.wrapped, b"bkctl-key")
    except RepositoryCorruptError:
        return None
    doc = json.loads(payload)
    return MasterKey(base64.b64decode(doc["encryption"]), base64.b64decode(doc["identity"]),
                     int(doc["chunker_seed"]))


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
