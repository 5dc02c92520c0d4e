"""Key roles: what a writer, a manager and an owner key can do (format 3 repositories).

A stolen backup host must not be able to read or destroy its own history. So data and
trees are not sealed with a key every host holds: each backup session draws fresh
AES-256 keys and wraps them to the repository's X25519 public keys (ephemeral X25519,
HKDF-SHA256, AES-256-GCM), in a ``sessions/<id>`` object written before any pack. The
*data* private key is the owner's alone; the *tree* private key is the owner's and the
managers' (reclaim must walk trees to know what points reference). A writer holds the
public keys only: it seals and cannot open.

What every role holds: the metadata key (index, point documents, marks, run records:
listing and planning need them), its dedup domain's identity key, the chunker seed, the
public keys and the owner's Ed25519 verification key. Chunk ids are keyed per domain: a
writer's domain is derived from the root identity and its key id, so a writer can neither
compute nor probe another host's ids (the price: no dedup across writer hosts; an owner's
backups dedup among themselves). Writers sign their point documents with their own
Ed25519 key; the owner endorses every key object's public part, so a writer cannot
forge another host's point or register a key of its own.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import blake3
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bkctl.errors import KeyRoleError, NotFoundError, RepositoryCorruptError
from bkctl.repo.crypto import NONCE_SIZE, MasterKey, decompress

__all__ = ["ROLES", "Role", "RoleKeys", "SessionCipher", "domain_identity", "sign", "verify_signature"]

Role = Literal["owner", "manager", "writer"]
ROLES: tuple[Role, ...] = ("owner", "manager", "writer")
OWNER_DOMAIN = "owner"
SESSION_ID_SIZE = 8
_RAW = serialization.Encoding.Raw


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def public_bytes(key: X25519PublicKey | Ed25519PublicKey) -> bytes:
    return key.public_bytes(_RAW, serialization.PublicFormat.Raw)


def private_bytes(key: X25519PrivateKey | Ed25519PrivateKey) -> bytes:
    return key.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def domain_identity(root: bytes, domain: str) -> bytes:
    """The chunk-id key of a dedup domain: the root itself for the owner, derived for a writer."""
    if domain == OWNER_DOMAIN:
        return root
    return blake3.blake3(domain.encode(), key=root).digest()


def sign(key: Ed25519PrivateKey, message: bytes) -> bytes:
    return key.sign(message)


def verify_signature(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


@dataclass
class RoleKeys:
    """The secrets one key object unwraps to, by role (see the module docstring)."""

    role: Role
    key_id: str
    metadata: MasterKey  # encryption = metadata key; identity = this key's domain identity
    domain: str
    data_public: X25519PublicKey
    tree_public: X25519PublicKey
    owner_verify: Ed25519PublicKey
    signing: Ed25519PrivateKey
    root_identity: bytes | None = None  # owner and manager: to check ids of every domain
    data_private: X25519PrivateKey | None = None  # owner only
    tree_private: X25519PrivateKey | None = None  # owner and manager

    def to_payload(self) -> dict[str, Any]:
        """The JSON a key object wraps with its passphrase."""
        payload: dict[str, Any] = {
            "role": self.role, "domain": self.domain,
            "encryption": b64(self.metadata.encryption), "identity": b64(self.metadata.identity),
            "chunker_seed": self.metadata.chunker_seed,
            "data_public": b64(public_bytes(self.data_public)),
            "tree_public": b64(public_bytes(self.tree_public)),
            "owner_verify": b64(public_bytes(self.owner_verify)),
            "signing": b64(private_bytes(self.signing)),
        }
        if self.root_identity is not None:
            payload["root_identity"] = b64(self.root_identity)
        if self.data_private is not None:
            payload["data_private"] = b64(private_bytes(self.data_private))
        if self.tree_private is not None:
            payload["tree_private"] = b64(private_bytes(self.tree_private))
        return payload

    @classmethod
    def from_payload(cls, key_id: str, payload: dict[str, Any]) -> RoleKeys:
        role = payload["role"]
        if role not in ROLES:
            raise ValueError(f"unknown key role {role!r}")
        optional = {name: payload.get(name) for name in ("root_identity", "data_private", "tree_private")}
        return cls(
            role=role, key_id=key_id, domain=str(payload["domain"]),
            metadata=MasterKey(unb64(payload["encryption"]), unb64(payload["identity"]),
                               int(payload["chunker_seed"])),
            data_public=X25519PublicKey.from_public_bytes(unb64(payload["data_public"])),
            tree_public=X25519PublicKey.from_public_bytes(unb64(payload["tree_public"])),
            owner_verify=Ed25519PublicKey.from_public_bytes(unb64(payload["owner_verify"])),
            signing=Ed25519PrivateKey.from_private_bytes(unb64(payload["signing"])),
            root_identity=unb64(optional["root_identity"]) if optional["root_identity"] else None,
            data_private=(X25519PrivateKey.from_private_bytes(unb64(optional["data_private"]))
                          if optional["data_private"] else None),
            tree_private=(X25519PrivateKey.from_private_bytes(unb64(optional["tree_private"]))
                          if optional["tree_private"] else None),
        )

    @classmethod
    def new_owner(cls, key_id: str, master: MasterKey) -> RoleKeys:
        """Fresh role keys for a new repository; ``master`` holds the metadata key and root identity."""
        data, tree, owner = X25519PrivateKey.generate(), X25519PrivateKey.generate(), Ed25519PrivateKey.generate()
        return cls("owner", key_id, master, OWNER_DOMAIN, data.public_key(), tree.public_key(),
                   owner.public_key(), owner, master.identity, data, tree)

    def derive(self, role: Role, key_id: str, host: str) -> RoleKeys:
        """The keys of a new ``role`` key (only an owner can: it holds every secret)."""
        if self.role != "owner" or self.root_identity is None:
            raise KeyRoleError(f"only an owner key can add keys (this is a {self.role} key)")
        if role == "owner":
            return RoleKeys(**{**self.__dict__, "key_id": key_id})
        domain = f"writer:{key_id}" if role == "writer" else OWNER_DOMAIN
        identity = domain_identity(self.root_identity, domain)
        metadata = MasterKey(self.metadata.encryption, identity, self.metadata.chunker_seed)
        manager = role == "manager"
        return RoleKeys(role, key_id, metadata, domain, self.data_public, self.tree_public, self.owner_verify,
                        Ed25519PrivateKey.generate(), self.root_identity if manager else None, None,
                        self.tree_private if manager else None)

    def can_read(self, kind: str) -> bool:
        return (self.data_private if kind == "d" else self.tree_private) is not None


def _wrap_key(public: X25519PublicKey, secret: bytes, context: bytes) -> dict[str, str]:
    ephemeral = X25519PrivateKey.generate()
    kek = _kek(ephemeral.exchange(public), context)
    nonce = os.urandom(NONCE_SIZE)
    return {"ephemeral": b64(public_bytes(ephemeral.public_key())), "nonce": b64(nonce),
            "wrapped": b64(AESGCM(kek).encrypt(nonce, secret, context))}


def _unwrap_key(private: X25519PrivateKey, wrapped: dict[str, str], context: bytes) -> bytes:
    ephemeral = X25519PublicKey.from_public_bytes(unb64(wrapped["ephemeral"]))
    kek = _kek(private.exchange(ephemeral), context)
    return AESGCM(kek).decrypt(unb64(wrapped["nonce"]), unb64(wrapped["wrapped"]), context)


def _kek(shared: bytes, context: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"bkctl-session-key\x00" + context).derive(shared)


@dataclass
class _Session:
    domain: str
    keys: dict[str, AESGCM]  # kind ("d", "t") -> cipher


@dataclass
class SessionCipher:
    """Seals blobs under per-session keys wrapped to the repository's public keys; opens
    them where this role holds the private key. Sealed: ``session id(8) || nonce || ct || tag``.

    ``put`` and ``get`` reach the store (the session object is written before the first
    blob it seals is returned, so no pack can reference a session that does not exist).
    """

    keys: RoleKeys
    put: Callable[[str, bytes], None]
    get: Callable[[str], bytes]
    _current: tuple[bytes, _Session] | None = None
    _known: dict[bytes, _Session] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def blob_id(self, data: bytes | memoryview) -> bytes:
        return self.keys.metadata.blob_id(data)

    def seal_blob(self, kind: str, blob_id: bytes, payload: bytes | memoryview) -> bytes:
        session_id, session = self._session()
        nonce = os.urandom(NONCE_SIZE)
        return session_id + nonce + session.keys[kind].encrypt(nonce, payload, kind.encode() + blob_id)

    def open_payload(self, kind: str, blob_id: bytes, sealed: bytes | memoryview, what: str) -> bytes:
        """Decrypt only: the stored payload, compressed or not."""
        return self._open(kind, blob_id, sealed, what)[1]

    def open_blob(self, kind: str, blob_id: bytes, sealed: bytes | memoryview, raw_length: int, what: str) -> bytes:
        """Decrypt, decompress and check the id against its domain; damage raises RepositoryCorruptError."""
        session, payload = self._open(kind, blob_id, sealed, what)
        plain = decompress(payload, raw_length)
        identity = self._identity(session.domain)
        if blake3.blake3(plain, key=identity).digest() != blob_id:
            raise RepositoryCorruptError(f"{what} does not match its id")
        return plain

    def can_read(self, kind: str) -> bool:
        return self.keys.can_read(kind)

    def _open(self, kind: str, blob_id: bytes, sealed: bytes | memoryview, what: str) -> tuple[_Session, bytes]:
        view = memoryview(sealed)
        if len(view) < SESSION_ID_SIZE + NONCE_SIZE + 16:
            raise RepositoryCorruptError(f"{what} is truncated")
        session = self._load(bytes(view[:SESSION_ID_SIZE]), kind, what)
        body = view[SESSION_ID_SIZE:]
        try:
            return session, session.keys[kind].decrypt(body[:NONCE_SIZE], body[NONCE_SIZE:], kind.encode() + blob_id)
        except InvalidTag:
            raise RepositoryCorruptError(f"{what} failed authentication (damaged or tampered)",
                                         hint="run 'verify' to list the affected recovery points") from None

    def new_session(self) -> None:
        """Seal from now on under fresh keys (each backup session gets its own); forget the last
        session's keys unless this role can unwrap them anyway (a writer keeps no way back in)."""
        with self._lock:
            if self._current is not None and self.keys.role == "writer":
                self._known.pop(self._current[0], None)
            self._current = None

    def _identity(self, domain: str) -> bytes:
        if domain == self.keys.domain:
            return self.keys.metadata.identity
        if self.keys.root_identity is None:
            raise KeyRoleError(f"a {self.keys.role} key cannot check data of another host")
        return domain_identity(self.keys.root_identity, domain)

    def _session(self) -> tuple[bytes, _Session]:
        with self._lock:
            if self._current is None:
                session_id = os.urandom(SESSION_ID_SIZE)
                secrets = {kind: AESGCM.generate_key(bit_length=256) for kind in ("d", "t")}
                document = {
                    "version": 1, "domain": self.keys.domain, "key": self.keys.key_id,
                    "d": _wrap_key(self.keys.data_public, secrets["d"], session_id + b"d"),
                    "t": _wrap_key(self.keys.tree_public, secrets["t"], session_id + b"t"),
                }
                self.put(f"sessions/{session_id.hex()}", json.dumps(document).encode())
                session = _Session(self.keys.domain, {kind: AESGCM(key) for kind, key in secrets.items()})
                self._known[session_id] = session
                self._current = (session_id, session)
            return self._current

    def _load(self, session_id: bytes, kind: str, what: str) -> _Session:
        with self._lock:
            known = self._known.get(session_id)
            if known is not None and kind in known.keys:
                return known
        private = self.keys.data_private if kind == "d" else self.keys.tree_private
        if private is None:
            raise KeyRoleError(
                f"a {self.keys.role} key cannot read {'file contents' if kind == 'd' else 'folder listings'}",
                hint="restore, list and browse with an owner key" if kind == "d" or self.keys.role == "writer"
                else "this needs an owner key")
        name = f"sessions/{session_id.hex()}"
        try:
            document = json.loads(self.get(name))
            secret = _unwrap_key(private, document[kind], session_id + kind.encode())
        except NotFoundError:
            raise RepositoryCorruptError(f"{what}: its session key object {name} is missing") from None
        except (ValueError, KeyError, TypeError, InvalidTag):
            raise RepositoryCorruptError(f"{what}: its session key object {name} is damaged") from None
        with self._lock:
            session = self._known.setdefault(session_id, _Session(str(document.get("domain", "")), {}))
            session.keys[kind] = AESGCM(secret)
            return session
