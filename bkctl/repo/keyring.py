"""Managing the key objects of an open repository: add, list, remove, change passphrase."""

from __future__ import annotations

from collections.abc import Callable

from bkctl.errors import BkctlError, NotFoundError, PassphraseError
from bkctl.repo.crypto import MasterKey
from bkctl.repo.keys import KdfParams, KeyInfo, KeyObject, create_key_object, unwrap
from bkctl.secrets import Secret
from bkctl.store.base import BlobStore

__all__ = ["add_key", "find_key", "list_keys", "load_keys", "remove_key"]


def load_keys(store: BlobStore) -> list[KeyObject]:
    keys = []
    for name in store.list("keys/"):
        try:
            keys.append(KeyObject.from_bytes(name.removeprefix("keys/"), store.get(name)))
        except NotFoundError:
            continue
    return keys


def find_key(store: BlobStore, passphrase: Secret, repository_id: str, *,
             accept: Callable[[MasterKey], bool] = lambda master: True) -> tuple[str, MasterKey]:
    """The id of the key object the passphrase opens, and the master key.

    ``accept`` picks among several keys the passphrase opens (a leftover of a crashed or
    raced init wraps another master key): the one the repository's config authenticates.
    """
    for key in load_keys(store):
        master = unwrap(key, passphrase)
        if master is not None and accept(master):
            return key.info.id, master
    raise PassphraseError(
        f"wrong passphrase for repository {repository_id}",
        hint="check the passphrase environment variable or file of this target",
    )


def add_key(store: BlobStore, master: MasterKey, passphrase: Secret,
            kdf: KdfParams | None) -> str:
    key = create_key_object(master, passphrase, kdf or KdfParams.default())
    store.put(f"keys/{key.info.id}", key.to_bytes())
    return key.info.id


def list_keys(store: BlobStore) -> list[KeyInfo]:
    return sorted((key.info for key in load_keys(store)), key=lambda info: info.created)


def remove_key(store: BlobStore, key_id: str, in_use: str) -> None:
    ids = {key.info.id for key in load_keys(store)}
    if key_id not in ids:
        raise NotFoundError(f"no key {key_id} in this repository")
    if key_id == in_use:
        raise BkctlError(f"key {key_id} is the one in use",
                         hint="open the repository with another key to remove this one")
    if len(ids) == 1:
        raise BkctlError("refusing to remove the last key; the repository would be lost")
    store.delete(f"keys/{key_id}")
