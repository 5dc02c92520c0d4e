"""Managing the key objects of an open repository: add, list, remove, change passphrase."""

from __future__ import annotations

import logging
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from bkctl.errors import BkctlError, KeyRoleError, NotFoundError, PassphraseError, RepositoryCorruptError
from bkctl.repo.keys import (
    Endorsement,
    KdfParams,
    KeyInfo,
    KeyObject,
    create_key_object,
    unwrap_payload,
)
from bkctl.repo.roles import Epoch, KeySecrets, granted, open_grant, public_bytes, seal_grant
from bkctl.secrets import Secret
from bkctl.store.base import BlobStore

__all__ = ["add_key", "add_role_key", "check_removable", "endorsed_keys", "find_key", "list_keys", "load_keys",
           "read_grant", "remove_key", "rewrap_key", "write_grant"]

Payload = dict[str, object]
logger = logging.getLogger("bkctl")


def load_keys(store: BlobStore) -> list[KeyObject]:
    """Every readable key object; a damaged one is skipped (the others still open the
    repository) and named in the log, and by ``verify``."""
    keys = []
    for name in store.list("keys/"):
        try:
            keys.append(KeyObject.from_bytes(name.removeprefix("keys/"), store.get(name)))
        except NotFoundError:
            continue
        except RepositoryCorruptError as error:
            logger.warning("%s", error.message)
    return keys


def find_key(store: BlobStore, passphrase: Secret, repository_id: str, *,
             accept: Callable[[KeyObject, Payload], bool] = lambda key, payload: True,
             first: str | None = None) -> tuple[KeyObject, Payload]:
    """The key object the passphrase opens, and what it wraps.

    ``accept`` picks among several keys the passphrase opens (a leftover of a crashed or
    raced init wraps another master key): the one the repository's config authenticates.
    ``first`` is tried first: every try costs a key derivation (0.1 s, 32 MiB), and a
    repository with a writer key per host holds hundreds of keys.
    """
    for key in sorted(load_keys(store), key=lambda key: key.info.id != first):
        payload = unwrap_payload(key, passphrase)
        if payload is not None and accept(key, payload):
            return key, payload
    raise PassphraseError(
        f"wrong passphrase for repository {repository_id}",
        hint="check the passphrase environment variable or file of this target",
    )


def add_key(store: BlobStore, payload: Payload, passphrase: Secret, kdf: KdfParams | None,
            info: KeyInfo | None = None, endorsement: Endorsement | None = None) -> str:
    key = create_key_object(payload, passphrase, kdf or KdfParams.default(), info, endorsement)
    store.put(f"keys/{key.info.id}", key.to_bytes())
    return key.info.id


def rewrap_key(store: BlobStore, key_id: str, payload: Payload, passphrase: Secret,
               kdf: KdfParams | None) -> None:
    """Replace key object ``key_id`` by one with the same secrets, info and endorsement under
    ``passphrase`` (one atomic put: the key never disappears)."""
    current = next((key for key in load_keys(store) if key.info.id == key_id), None)
    if current is None:
        raise NotFoundError(f"no key {key_id} in this repository")
    key = create_key_object(payload, passphrase, kdf or KdfParams.default(), current.info, current.endorsement)
    store.put(f"keys/{key_id}", key.to_bytes())


def add_role_key(store: BlobStore, owner: KeySecrets, secrets: KeySecrets, info: KeyInfo, passphrase: Secret,
                 kdf: KdfParams | None, epochs: list[Epoch], generation: int) -> str:
    """Store ``secrets`` under ``passphrase``, its public part endorsed by ``owner``, then its grant.

    The grant comes after the key object: a key object without a grant opens nothing (and
    ``keys list`` shows it), a grant without its key object would be unreachable.
    """
    if owner.owner_signing is None:
        raise KeyRoleError(f"a {owner.role} key cannot add keys; that needs an owner key")
    unsigned = Endorsement(public_bytes(secrets.signing.public_key()), public_bytes(secrets.grant.public_key()))
    endorsement = Endorsement(unsigned.signing, unsigned.grant, owner.owner_signing.sign(unsigned.message(info)))
    add_key(store, secrets.to_payload(), passphrase, kdf, info, endorsement)
    write_grant(store, owner, info.id, secrets.grant.public_key(), granted(epochs, secrets.role), generation)
    return info.id


def write_grant(store: BlobStore, owner: KeySecrets, key_id: str, grant_public: X25519PublicKey,
                epochs: list[Epoch], generation: int) -> None:
    assert owner.owner_signing is not None
    store.put(f"grants/{key_id}", seal_grant(owner.owner_signing, grant_public, key_id, epochs, generation))


def read_grant(store: BlobStore, key_id: str, secrets: KeySecrets) -> tuple[list[Epoch], int]:
    try:
        raw = store.get(f"grants/{key_id}")
    except NotFoundError:
        raise RepositoryCorruptError(f"key {key_id[:12]} has no grant (grants/{key_id} is missing)",
                                     hint="an owner can add a new key for this host") from None
    return open_grant(raw, key_id, secrets.grant, secrets.owner_verify)


def endorsed_keys(store: BlobStore, owner_verify: Ed25519PublicKey) -> dict[str, tuple[KeyInfo, bytes]]:
    """Key id -> (info, signing public key) of every key the owner endorsed; others are ignored."""
    found = {}
    for key in load_keys(store):
        if key.endorsement is None:
            continue
        try:
            owner_verify.verify(key.endorsement.signature, key.endorsement.message(key.info))
        except InvalidSignature:
            continue
        found[key.info.id] = (key.info, key.endorsement.signing)
    return found


def list_keys(store: BlobStore) -> list[KeyInfo]:
    return sorted((key.info for key in load_keys(store)), key=lambda info: info.created)


def check_removable(store: BlobStore, key_id: str, in_use: str) -> dict[str, KeyObject]:
    """The key objects, after refusing to remove a missing key, the one in use or the last owner key."""
    keys = {key.info.id: key for key in load_keys(store)}
    if key_id not in keys:
        raise NotFoundError(f"no key {key_id} in this repository")
    if key_id == in_use:
        raise BkctlError(f"key {key_id} is the one in use",
                         hint="open the repository with another key to remove this one")
    owners = [k for k in keys.values() if k.info.role == "owner"]
    if len(keys) == 1 or (keys[key_id].info.role == "owner" and len(owners) == 1):
        raise BkctlError("refusing to remove the last owner key; the repository would be lost")
    return keys


def remove_key(store: BlobStore, key_id: str, in_use: str) -> None:
    keys = check_removable(store, key_id, in_use)
    store.delete(f"keys/{key_id}")  # first: a grant without its key object would open nothing anyway
    if keys[key_id].endorsement is not None:
        store.delete(f"grants/{key_id}")
