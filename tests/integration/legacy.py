"""Repositories as earlier bkctl versions wrote them, for migration tests."""

from __future__ import annotations

import json

from bkctl.repo import KdfParams
from bkctl.repo import config as repo_config
from bkctl.repo.crypto import MasterKey
from bkctl.repo.keyring import add_key
from bkctl.repo.keys import master_payload
from bkctl.secrets import Secret
from bkctl.store.base import BlobStore


def legacy_repository(store: BlobStore, passphrase: Secret, version: int) -> str:
    """Format 1 (plain config) or 2 (authenticated config): one master key, no roles; its id."""
    master = MasterKey.generate()
    config = {**repo_config.new_config(), "version": version, "chunker": "fastcdc-1MiB"}  # as they cut chunks
    add_key(store, master_payload(master), passphrase, KdfParams.fast())
    raw = json.dumps(config).encode() if version == 1 else repo_config.encode(master, config, version)
    store.put("config", raw)
    return str(config["id"])
