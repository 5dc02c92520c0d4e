"""Key roles: what a writer, a manager and an owner key can do (format 3 repositories).

A stolen backup host must not be able to read or destroy its own history. So data and
trees are not sealed with a key every host holds: each backup session draws fresh
AES-256 keys and wraps them to the repository's X25519 public keys (ephemeral X25519,
HKDF-SHA256, AES-256-GCM), in a ``sessions/<id>`` object written before any pack. The
*data* private key is the owner's alone; the *tree* private key is the owner's and the
managers' (reclaim must walk trees to know what points reference). A writer holds the
public keys only: it seals and cannot open.

Two kinds of secrets, so that keys can be rotated without knowing every passphrase:

* A key object (``keys/<id>``, wrapped by its passphrase) holds what belongs to that key
  for good: its role, its dedup domain's identity key, the chunker seed, its Ed25519
  signing key, the owner's verification key and a personal X25519 *grant* key.
* The *epoch* secrets (the metadata key that seals index, points, marks and run records;
  the data and tree key pairs) reach each key in ``grants/<key id>``, sealed to its grant
  key and signed by the owner. ``keys rotate`` starts a new epoch and writes new grants
  (new and previous epoch, while old data is re-encrypted; then the new one alone).

Chunk ids are keyed per domain: a writer's domain is derived from the root identity and
its key id, so a writer can neither compute nor probe another host's ids (the price: no
dedup across writer hosts). Writers sign their point documents; the owner endorses every
key object's public part, so a writer cannot forge another host's point or register a
key of its own.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
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

__all__ = ["ROLES", "Epoch", "KeySecrets", "Role", "RoleKeys", "SessionCipher", "domain_identity", "granted",
           "open_grant", "seal_grant", "unwrap_with", "wrap_to"]

Role = Literal["owner", "manager", "writer"]
ROLES: tuple[Role, ...] = ("owner", "manager", "writer")
OWNER_DOMAIN = "owner"
SESSION_ID_SIZE = 8
_RAW = serialization.Encoding.Raw
_GRANT_AD = b"bkctl-grant"


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


@dataclass(frozen=True)
class Epoch:
    """The secrets of one key epoch, as much of them as a role receives."""

    number: int
    metadata: bytes  # AES-256 key of index, points, marks, run records, copy maps, pack headers
    data_public: X25519PublicKey
    tree_public: X25519PublicKey
    data_private: X25519PrivateKey | None = None  # owner only
    tree_private: X25519PrivateKey | None = None  # owner and manager
    # A format 2 repository's master key, while an upgrade re-encrypts what it sealed: blobs
    # sealed with ``metadata`` itself (no sessions), points unsigned. Only owners receive it.
    legacy: bool = False

    @classmethod
    def generate(cls, number: int) -> Epoch:
        data, tree = X25519PrivateKey.generate(), X25519PrivateKey.generate()
        return cls(number, os.urandom(32), data.public_key(), tree.public_key(), data, tree)

    @classmethod
    def from_master(cls, master: MasterKey) -> Epoch:
        """Epoch 0 of an upgraded format 2 repository: its master key (the key pairs are unused)."""
        unused = X25519PrivateKey.generate()
        return cls(0, master.encryption, unused.public_key(), unused.public_key(), legacy=True)

    def for_role(self, role: Role) -> Epoch:
        return replace(self, data_private=self.data_private if role == "owner" else None,
                       tree_private=self.tree_private if role in ("owner", "manager") else None)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"number": self.number, "metadata": b64(self.metadata),
                                    "data_public": b64(public_bytes(self.data_public)),
                                    "tree_public": b64(public_bytes(self.tree_public))}
        if self.legacy:
            document["legacy"] = True
        for name in ("data_private", "tree_private"):
            private = getattr(self, name)
            if private is not None:
                document[name] = b64(private_bytes(private))
        return document

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Epoch:
        privates = {name: X25519PrivateKey.from_private_bytes(unb64(document[name]))
                    for name in ("data_private", "tree_private") if document.get(name)}
        return cls(int(document["number"]), unb64(document["metadata"]),
                   X25519PublicKey.from_public_bytes(unb64(document["data_public"])),
                   X25519PublicKey.from_public_bytes(unb64(document["tree_public"])), **privates,
                   legacy=bool(document.get("legacy", False)))


@dataclass(frozen=True)
class KeySecrets:
    """What a key object wraps for good (see the module docstring)."""

    role: Role
    domain: str
    identity: bytes  # keys this key's chunk ids
    chunker_seed: int
    signing: Ed25519PrivateKey
    owner_verify: Ed25519PublicKey
    grant: X25519PrivateKey
    root_identity: bytes | None = None  # owner and manager: to check ids of every domain
    owner_signing: Ed25519PrivateKey | None = None  # owner: endorses keys, signs grants

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "role": self.role, "domain": self.domain, "identity": b64(self.identity),
            "chunker_seed": self.chunker_seed, "signing": b64(private_bytes(self.signing)),
            "owner_verify": b64(public_bytes(self.owner_verify)), "grant": b64(private_bytes(self.grant)),
        }
        if self.root_identity is not None:
            payload["root_identity"] = b64(self.root_identity)
        if self.owner_signing is not None:
            payload["owner_signing"] = b64(private_bytes(self.owner_signing))
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> KeySecrets:
        role = payload["role"]
        if role not in ROLES:
            raise ValueError(f"unknown key role {role!r}")
        return cls(role, str(payload["domain"]), unb64(payload["identity"]), int(payload["chunker_seed"]),
                   Ed25519PrivateKey.from_private_bytes(unb64(payload["signing"])),
                   Ed25519PublicKey.from_public_bytes(unb64(payload["owner_verify"])),
                   X25519PrivateKey.from_private_bytes(unb64(payload["grant"])),
                   unb64(payload["root_identity"]) if payload.get("root_identity") else None,
                   Ed25519PrivateKey.from_private_bytes(unb64(payload["owner_signing"]))
                   if payload.get("owner_signing") else None)

    @classmethod
    def new_owner(cls, root_identity: bytes, chunker_seed: int) -> KeySecrets:
        owner = Ed25519PrivateKey.generate()
        return cls("owner", OWNER_DOMAIN, root_identity, chunker_seed, owner, owner.public_key(),
                   X25519PrivateKey.generate(), root_identity, owner)

    def derive(self, role: Role, key_id: str) -> KeySecrets:
        """The secrets of a new ``role`` key (only an owner can: it holds the roots)."""
        if self.role != "owner" or self.root_identity is None:
            raise KeyRoleError(f"a {self.role} key cannot add keys; that needs an owner key")
        if role == "owner":
            return replace(self, signing=Ed25519PrivateKey.generate(), grant=X25519PrivateKey.generate())
        domain = f"writer:{key_id}" if role == "writer" else OWNER_DOMAIN
        return KeySecrets(role, domain, domain_identity(self.root_identity, domain), self.chunker_seed,
                          Ed25519PrivateKey.generate(), self.owner_verify, X25519PrivateKey.generate(),
                          self.root_identity if role == "manager" else None)


def granted(epochs: list[Epoch], role: Role) -> list[Epoch]:
    """What of ``epochs`` a key of ``role`` receives (an upgraded format 2 master key: owners only)."""
    return [epoch.for_role(role) for epoch in epochs if role == "owner" or not epoch.legacy]


def seal_grant(owner: Ed25519PrivateKey, grant_public: X25519PublicKey, key_id: str, epochs: list[Epoch],
               generation: int) -> bytes:
    """``grants/<key id>``: the epochs a key may use, sealed to its grant key, signed by the owner
    with the config ``generation`` it belongs to (an older grant put back is refused)."""
    context = _GRANT_AD + key_id.encode()
    body = json.dumps({"key": key_id, "epochs": [epoch.to_json() for epoch in epochs]}).encode()
    sealed = _wrap(grant_public, body, context)
    document = json.dumps({"version": 1, "key": key_id, "generation": generation, "sealed": sealed},
                          sort_keys=True).encode()
    return json.dumps({"grant": document.decode(), "signature": b64(owner.sign(document))}).encode()


def open_grant(raw: bytes, key_id: str, grant: X25519PrivateKey,
               owner_verify: Ed25519PublicKey) -> tuple[list[Epoch], int]:
    """The epochs in a grant and its generation; RepositoryCorruptError when forged or damaged."""
    try:
        outer = json.loads(raw)
        document = outer["grant"].encode()
        owner_verify.verify(unb64(outer["signature"]), document)
        inner = json.loads(document)
        if inner["key"] != key_id:
            raise ValueError("grant of another key")
        body = json.loads(_unwrap(grant, inner["sealed"], _GRANT_AD + key_id.encode()))
        return [Epoch.from_json(epoch) for epoch in body["epochs"]], int(inner["generation"])
    except InvalidSignature:
        raise RepositoryCorruptError(f"grants/{key_id} is not signed by the owner (forged or damaged)") from None
    except (ValueError, KeyError, TypeError, InvalidTag) as exc:
        raise RepositoryCorruptError(f"grants/{key_id} is unreadable: {exc}") from None


@dataclass
class RoleKeys:
    """An open key: its lasting secrets and the epochs granted to it (current first)."""

    key_id: str
    secrets: KeySecrets
    epochs: list[Epoch]

    @property
    def role(self) -> Role:
        return self.secrets.role

    @property
    def current(self) -> Epoch:
        return self.epochs[0]

    def epoch(self, number: int) -> Epoch | None:
        return next((epoch for epoch in self.epochs if epoch.number == number), None)

    def metadata_key(self) -> MasterKey:
        """Seals with the current epoch's metadata key and opens with any granted one."""
        current = MasterKey(self.current.metadata, self.secrets.identity, self.secrets.chunker_seed)
        older = tuple(MasterKey(epoch.metadata, self.secrets.identity, self.secrets.chunker_seed)
                      for epoch in self.epochs[1:])
        return current.with_fallbacks(older) if older else current

    def can_read(self, kind: str) -> bool:
        return (self.current.data_private if kind == "d" else self.current.tree_private) is not None

    def legacy_key(self) -> MasterKey | None:
        """The upgraded format 2 master key, while its data is being re-encrypted (owners only)."""
        legacy = next((epoch for epoch in self.epochs if epoch.legacy), None)
        if legacy is None or self.role != "owner":
            return None
        return MasterKey(legacy.metadata, self.secrets.identity, self.secrets.chunker_seed)


def _wrap(public: X25519PublicKey, secret: bytes, context: bytes) -> dict[str, str]:
    ephemeral = X25519PrivateKey.generate()
    kek = _kek(ephemeral.exchange(public), context)
    nonce = os.urandom(NONCE_SIZE)
    return {"ephemeral": b64(public_bytes(ephemeral.public_key())), "nonce": b64(nonce),
            "wrapped": b64(AESGCM(kek).encrypt(nonce, secret, context))}


def _unwrap(private: X25519PrivateKey, wrapped: dict[str, str], context: bytes) -> bytes:
    ephemeral = X25519PublicKey.from_public_bytes(unb64(wrapped["ephemeral"]))
    kek = _kek(private.exchange(ephemeral), context)
    return AESGCM(kek).decrypt(unb64(wrapped["nonce"]), unb64(wrapped["wrapped"]), context)


def wrap_to(public: X25519PublicKey, body: bytes, context: bytes) -> dict[str, str]:
    """``body`` sealed so that only the holder of ``public``'s private key opens it."""
    return _wrap(public, body, context)


def unwrap_with(private: X25519PrivateKey, wrapped: dict[str, str], context: bytes) -> bytes:
    """What :func:`wrap_to` sealed; InvalidTag or ValueError when damaged or not for this key."""
    return _unwrap(private, wrapped, context)


def _kek(shared: bytes, context: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"bkctl-wrap\x00" + context).derive(shared)


@dataclass
class _Session:
    domain: str
    epoch: int
    keys: dict[str, AESGCM]  # kind ("d", "t") -> cipher


@dataclass
class SessionCipher:
    """Seals blobs under per-session keys wrapped to the current epoch's public keys; opens
    them where this role holds the epoch's private key. Sealed: ``session id(8) || nonce || ct || tag``.

    ``put`` and ``get`` reach the store (the session object is written before the first
    blob it seals is returned, so no pack can reference a session that does not exist).
    """

    keys: RoleKeys
    put: Callable[[str, bytes], None]
    get: Callable[[str], bytes]
    _current: dict[str, tuple[bytes, _Session]] = field(default_factory=dict)  # by dedup domain
    _known: dict[bytes, _Session] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def blob_id(self, data: bytes | memoryview) -> bytes:
        return blake3.blake3(data, key=self.keys.secrets.identity).digest()

    def seal_blob(self, kind: str, blob_id: bytes, payload: bytes | memoryview) -> bytes:
        return self._seal(self.keys.secrets.domain, kind, blob_id, payload)

    def reseal(self, kind: str, blob_id: bytes, sealed: bytes | memoryview, raw_length: int, what: str) -> bytes:
        """The blob sealed again in a current-epoch session of its own dedup domain (key rotation),
        after checking it is what its id says (RepositoryCorruptError otherwise): a re-encryption
        never vouches for bytes it has not authenticated."""
        session, payload = self._open(kind, blob_id, sealed, what)
        plain = decompress(payload, raw_length)
        if blake3.blake3(plain, key=self._identity(session.domain)).digest() != blob_id:
            raise RepositoryCorruptError(f"{what} does not match its id")
        return self._seal(session.domain, kind, blob_id, payload)

    def _seal(self, domain: str, kind: str, blob_id: bytes, payload: bytes | memoryview) -> bytes:
        session_id, session = self._session(domain)
        nonce = os.urandom(NONCE_SIZE)
        return session_id + nonce + session.keys[kind].encrypt(nonce, payload, kind.encode() + blob_id)

    def open_payload(self, kind: str, blob_id: bytes, sealed: bytes | memoryview, what: str) -> bytes:
        """Decrypt only: the stored payload, compressed or not."""
        return self._open(kind, blob_id, sealed, what)[1]

    def open_blob(self, kind: str, blob_id: bytes, sealed: bytes | memoryview, raw_length: int, what: str) -> bytes:
        """Decrypt, decompress and check the id against its domain; damage raises RepositoryCorruptError."""
        session, payload = self._open(kind, blob_id, sealed, what)
        plain = decompress(payload, raw_length)
        if blake3.blake3(plain, key=self._identity(session.domain)).digest() != blob_id:
            raise RepositoryCorruptError(f"{what} does not match its id")
        return plain

    def session_of(self, sealed: bytes | memoryview) -> str:
        """The name of the session object a sealed blob needs."""
        return f"sessions/{bytes(memoryview(sealed)[:SESSION_ID_SIZE]).hex()}"

    def can_read(self, kind: str) -> bool:
        return self.keys.can_read(kind)

    def new_session(self) -> None:
        """Seal from now on under fresh keys (each backup session gets its own); forget the last
        session's keys unless this role can unwrap them anyway (a writer keeps no way back in)."""
        with self._lock:
            if self.keys.role == "writer":
                for session_id, _ in self._current.values():
                    self._known.pop(session_id, None)
            self._current.clear()

    def _open(self, kind: str, blob_id: bytes, sealed: bytes | memoryview, what: str) -> tuple[_Session, bytes]:
        view = memoryview(sealed)
        if len(view) < SESSION_ID_SIZE + NONCE_SIZE + 16:
            raise RepositoryCorruptError(f"{what} is truncated")
        legacy = self.keys.legacy_key()
        if legacy is not None and not self._session_exists(bytes(view[:SESSION_ID_SIZE])):
            return _Session(OWNER_DOMAIN, 0, {}), legacy.open(view, kind.encode() + blob_id, what)
        session = self._load(bytes(view[:SESSION_ID_SIZE]), kind, what)
        body = view[SESSION_ID_SIZE:]
        try:
            return session, session.keys[kind].decrypt(body[:NONCE_SIZE], body[NONCE_SIZE:], kind.encode() + blob_id)
        except InvalidTag:
            raise RepositoryCorruptError(f"{what} failed authentication (damaged or tampered)",
                                         hint="run 'verify' to list the affected recovery points") from None

    def _session_exists(self, session_id: bytes) -> bool:
        """Whether a blob names a session (else, during an upgrade, it is a format 2 blob)."""
        with self._lock:
            if session_id in self._known:
                return True
        try:
            self.get(f"sessions/{session_id.hex()}")
        except NotFoundError:
            return False
        return True

    def _identity(self, domain: str) -> bytes:
        if domain == self.keys.secrets.domain:
            return self.keys.secrets.identity
        if self.keys.secrets.root_identity is None:
            raise KeyRoleError(f"a {self.keys.role} key cannot check data of another host")
        return domain_identity(self.keys.secrets.root_identity, domain)

    def _session(self, domain: str) -> tuple[bytes, _Session]:
        current = self._current.get(domain)  # the common case, without the lock (a dict read is atomic)
        if current is not None:
            return current
        with self._lock:
            current = self._current.get(domain)
            if current is None:
                epoch = self.keys.current
                session_id = os.urandom(SESSION_ID_SIZE)
                secrets = {kind: AESGCM.generate_key(bit_length=256) for kind in ("d", "t")}
                document = {
                    "version": 1, "domain": domain, "key": self.keys.key_id, "epoch": epoch.number,
                    "d": _wrap(epoch.data_public, secrets["d"], session_id + b"d"),
                    "t": _wrap(epoch.tree_public, secrets["t"], session_id + b"t"),
                }
                self.put(f"sessions/{session_id.hex()}", json.dumps(document).encode())
                session = _Session(domain, epoch.number, {kind: AESGCM(key) for kind, key in secrets.items()})
                self._known[session_id] = session
                current = self._current[domain] = (session_id, session)
            return current

    def _load(self, session_id: bytes, kind: str, what: str) -> _Session:
        known = self._known.get(session_id)  # without the lock: restores open millions of blobs
        if known is not None and kind in known.keys:
            return known
        if not self.keys.can_read(kind):
            raise KeyRoleError(
                f"a {self.keys.role} key cannot read {'file contents' if kind == 'd' else 'folder listings'}",
                hint="restore, list and browse with an owner key" if kind == "d" or self.keys.role == "writer"
                else "this needs an owner key")
        name = f"sessions/{session_id.hex()}"
        try:
            document = json.loads(self.get(name))
            epoch = self.keys.epoch(int(document["epoch"]))
            private = None if epoch is None else (epoch.data_private if kind == "d" else epoch.tree_private)
            if private is None:
                raise RepositoryCorruptError(f"{what}: sealed under key epoch {document['epoch']}, which this key "
                                             "no longer holds (retired by a key rotation)")
            secret = _unwrap(private, document[kind], session_id + kind.encode())
        except NotFoundError:
            raise RepositoryCorruptError(f"{what}: its session key object {name} is missing") from None
        except (ValueError, KeyError, TypeError, InvalidTag):
            raise RepositoryCorruptError(f"{what}: its session key object {name} is damaged") from None
        with self._lock:
            session = self._known.setdefault(session_id, _Session(str(document.get("domain", "")),
                                                                  int(document["epoch"]), {}))
            session.keys[kind] = AESGCM(secret)
            return session
