"""The library's master key: one per library, wrapped by the tape target's passphrase.

Key objects are the repository's (Argon2id key-encryption key, AES-256-GCM wrap; see
:mod:`bkctl.repo.keys`): no new cryptography. They are kept in ``<library>/keys/`` and
copied into the volume label of every cartridge, so one cartridge and the passphrase are
enough to restore what it holds, even with the library directory lost.
"""

from __future__ import annotations

import json
from pathlib import Path

from bkctl.errors import NotFoundError, PassphraseError, RepositoryCorruptError
from bkctl.repo.crypto import MasterKey
from bkctl.repo.keys import KdfParams, KeyObject, create_key_object, master_from_payload, master_payload, unwrap_payload
from bkctl.secrets import Secret
from bkctl.tape.durable import replace_file

__all__ = ["create_library_key", "key_documents", "library_key_objects", "restore_key_documents", "unlock",
           "unlock_documents"]


def create_library_key(path: Path, passphrase: Secret, kdf: KdfParams | None = None) -> MasterKey:
    """A new random master key for the library at ``path``, stored wrapped; refuses a second one."""
    if library_key_objects(path):
        raise RepositoryCorruptError(f"tape library {path} already has keys")
    master = MasterKey.generate()
    key = create_key_object(master_payload(master), passphrase, kdf or KdfParams.default())
    replace_file(path / "keys" / key.info.id, key.to_bytes())
    return master


def library_key_objects(path: Path) -> list[KeyObject]:
    folder = path / "keys"
    if not folder.is_dir():
        return []
    return [KeyObject.from_bytes(entry.name, entry.read_bytes())
            for entry in sorted(folder.iterdir()) if not entry.name.startswith(".")]


def key_documents(path: Path) -> list[dict[str, object]]:
    """The key objects as JSON documents, for the volume labels."""
    return [{"id": key.info.id, **json.loads(key.to_bytes())} for key in library_key_objects(path)]


def unlock(path: Path, passphrase: Secret) -> MasterKey:
    """The library's master key; wrong passphrase raises PassphraseError (exit 65)."""
    keys = library_key_objects(path)
    if not keys:
        raise NotFoundError(f"tape library {path} has no keys", hint="run `bkctl tape scan` to recover them "
                            "from the cartridge labels, or initialise the library")
    return _first_match(keys, passphrase, str(path))


def unlock_documents(documents: list[dict[str, object]], passphrase: Secret, what: str) -> MasterKey:
    """The master key from the key objects of a volume label."""
    return _first_match(_key_objects(documents), passphrase, what)


def restore_key_documents(path: Path, documents: list[dict[str, object]]) -> None:
    """Put the key objects read from a label back into ``<library>/keys/``."""
    for key in _key_objects(documents):
        replace_file(path / "keys" / key.info.id, key.to_bytes())


def _key_objects(documents: list[dict[str, object]]) -> list[KeyObject]:
    return [KeyObject.from_bytes(str(d["id"]), json.dumps(d).encode()) for d in documents]


def _first_match(keys: list[KeyObject], passphrase: Secret, what: str) -> MasterKey:
    for key in keys:
        payload = unwrap_payload(key, passphrase)
        if payload is not None:
            return master_from_payload(payload)
    raise PassphraseError(f"wrong passphrase for tape library {what}",
                          hint="check the passphrase environment variable or file of this target")
