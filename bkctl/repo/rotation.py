"""Key rotation: a new epoch of secrets, then every object re-encrypted under it, then the old retired.

``keys passwd`` only re-wraps a key object: a leaked key (or its passphrase) keeps opening
the repository. Rotation revokes: :func:`rotate_keys` draws a new epoch (metadata key,
data and tree key pairs), grants it (with the previous epoch, still needed to read) to
every key still endorsed, and switches the config to it; new data is sealed under it at
once. :func:`reencrypt` then rewrites what the old epoch sealed, resumably:

1. packs whose header does not open with the new metadata key: each blob is decrypted
   and sealed again in a new session, into new packs indexed by a new index object (a
   blob already copied by an earlier, interrupted run is skipped);
2. one consolidated index object of everything left, then the old index objects and the
   old packs are deleted (the order of a reclaim: every index entry's pack always exists);
3. point documents (signed again by the owner), marks, run records and copy maps are
   sealed again; session objects of the old epoch are deleted;
4. the grants are rewritten with the new epoch alone, and the ``rotation`` marker goes.

A key removed before the rotation is granted nothing new: whatever it still holds opens
no object once step 4 is done. It all runs under the exclusive lock (no backup meanwhile).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

from cryptography.exceptions import InvalidSignature

from bkctl.errors import BkctlError, KeyRoleError, NotFoundError, ObjectLockedError, RepositoryCorruptError
from bkctl.repo import keyring
from bkctl.repo.crashpoints import crash_point
from bkctl.repo.crypto import MasterKey
from bkctl.repo.index import encode_index, new_index_name
from bkctl.repo.keys import KdfParams, new_key_info
from bkctl.repo.pack import (
    PACK_TARGET_SIZE,
    IndexEntry,
    PackBuilder,
    pack_header_entries,
    pack_name_matches,
    read_pack_header,
)
from bkctl.repo.repository import Repository
from bkctl.repo.roles import Epoch, KeySecrets, RoleKeys, SessionCipher
from bkctl.secrets import Secret

__all__ = ["MARKER", "ReencryptStats", "reencrypt", "rotate_keys", "rotation_pending", "upgrade_to_roles"]

MARKER = "rotation"
logger = logging.getLogger("bkctl")
Items = list[tuple[bytes, IndexEntry]]
_SEALED_PREFIXES: dict[str, Callable[[str], bytes]] = {
    "runs/": lambda name: b"bkctl-run",
    "copymaps/": lambda name: b"bkctl-copymap:" + name.split("/")[1].encode(),
}


@dataclass
class ReencryptStats:
    packs_rewritten: int = 0
    blobs_resealed: int = 0
    objects_resealed: int = 0
    sessions_retired: int = 0
    not_authentic: list[str] = field(default_factory=list)  # skipped: they opened under no key
    kept_by_lock: int = 0  # old packs an object lock keeps until its date (immutable vaults)

    def describe(self) -> str:
        skipped = (f"; {len(self.not_authentic)} object(s) did not authenticate and were left as they are "
                   "(`bkctl verify` names them)") if self.not_authentic else ""
        if self.kept_by_lock:
            skipped += (f"; {self.kept_by_lock} old pack(s) stay until their object lock ends "
                        "(a reclaim deletes them then)")
        return (f"re-encrypted {self.blobs_resealed} blob(s) of {self.packs_rewritten} pack(s) and "
                f"{self.objects_resealed} other object(s) under the new key epoch; "
                f"{self.sessions_retired} old session key(s) retired{skipped}")


def rotation_pending(repo: Repository) -> dict[str, object] | None:
    """The marker of a rotation that switched epochs and has not finished re-encrypting (else None)."""
    try:
        document: dict[str, object] = json.loads(repo.store.get(MARKER))
    except (NotFoundError, ValueError):
        return None
    return document if str(document.get("epoch")) == str(repo.config.get("epoch", 0)) else None


def rotate_keys(repo: Repository) -> int:
    """Start a new key epoch (owner only); returns its number. New writes use it at once."""
    repo.require("owner", doing="rotate keys")
    roles = _roles(repo)
    with repo.lock("exclusive"):
        if any(epoch.number < roles.current.number for epoch in roles.epochs):
            raise BkctlError("a key rotation is still re-encrypting",
                             hint="run `bkctl apply` (action re-encrypt) or `bkctl keys rotate --finish` first")
        # A rotation killed before its config switch granted an epoch nobody sealed with: replaced.
        new = Epoch.generate(roles.current.number + 1)
        epochs = [new, roles.current]
        _write_marker(repo, roles.secrets, {"epoch": new.number, "from": roles.current.number,
                                            "started": datetime.now(UTC).isoformat(), "rewritten": [], "written": []})
        generation = repo.generation + 1
        repo.grant_all(roles, epochs, generation)
        crash_point("rotate-after-grants")
        config = {**repo.config, "epoch": new.number, "generation": generation}
        _use(repo, RoleKeys(roles.key_id, roles.secrets, epochs), config)
        repo.write_owner_config(roles.secrets, config)
    return new.number


def reencrypt(repo: Repository, progress: Callable[[int], None] | None = None) -> ReencryptStats:
    """Finish a rotation: everything sealed under older epochs is sealed again, then they retire.

    Every pack this rotation has not written yet is rewritten (what is current already costs
    a copy; nothing a writer could forge, a pack header or an index entry, decides what may be
    skipped), each blob authenticated against its id first. Progress is an owner-signed list
    in the ``rotation`` marker, so a killed run resumes where it stopped.
    """
    repo.require("owner", doing="re-encrypt after a key rotation")
    roles = _roles(repo)
    stats = ReencryptStats()
    with repo.lock("exclusive"):
        marker = _signed_marker(repo) or {"epoch": roles.current.number, "started": datetime.now(UTC).isoformat(),
                                          "rewritten": [], "written": []}
        rewritten = set(cast("list[str]", marker.get("rewritten", [])))
        written = set(cast("list[str]", marker.get("written", [])))
        for pack in sorted(set(repo.store.list("data/")) - rewritten - written):
            written |= _rewrite_pack(repo, pack, stats)
            rewritten.add(pack)
            _write_marker(repo, roles.secrets, {**marker, "rewritten": sorted(rewritten), "written": sorted(written)})
            crash_point("reencrypt-after-pack")
            if progress is not None:
                progress(1)
        _consolidate_index(repo, written)
        for pack in sorted(rewritten - written):
            stats.kept_by_lock += not _delete(repo, pack)
        for mark in list(repo.store.list("marks/")):
            _delete(repo, mark)  # they name packs that are gone now; the next reclaim marks afresh
        crash_point("reencrypt-after-packs")
        _reseal_points(repo, stats)
        for prefix, associated in _SEALED_PREFIXES.items():
            _reseal_objects(repo, prefix, associated, stats)
        stats.sessions_retired = _retire_sessions(repo, roles.current.number)
        _drop_unendorsed_keys(repo)
        current = roles.epochs[:1]
        config = {**{k: v for k, v in repo.config.items() if k != "legacy"}, "generation": repo.generation + 1}
        repo.grant_all(roles, current, int(str(config["generation"])))  # the old epoch granted to no one
        _use(repo, RoleKeys(roles.key_id, roles.secrets, current), config)
        repo.write_owner_config(roles.secrets, config)
        repo.store.delete(MARKER)
        repo.reload_index()
    if stats.not_authentic:
        logger.warning("re-encryption left %d object(s) that did not authenticate: %s", len(stats.not_authentic),
                       ", ".join(stats.not_authentic[:5]))
    return stats


def upgrade_to_roles(repo: Repository, passphrase: Secret, kdf: KdfParams | None = None) -> tuple[str, int]:
    """Turn a format 2 repository into format 3 (key roles); returns the new owner key's id
    and how many other passphrases stop opening it (they must be added again).

    The chunk-id identity and the chunker seed stay, so deduplication carries on across the
    upgrade. The master key becomes a *legacy* epoch 0, granted to the new owner key only;
    epoch 1 is current, and the planned ``re-encrypt`` action moves everything onto it
    (sessions, signed points), after which the old master key opens nothing.
    """
    if repo.roles is not None:
        raise BkctlError(f"this repository is format {repo.format} already")
    master = repo.key
    with repo.lock("exclusive"):
        for stray in [k for k in keyring.load_keys(repo.store) if k.endorsement is not None]:
            _delete(repo, f"keys/{stray.info.id}")  # left by an upgrade killed before its config switch
        secrets = KeySecrets.new_owner(master.identity, master.chunker_seed)
        epochs = [Epoch.generate(1), Epoch.from_master(master)]
        info = new_key_info("owner")
        keyring.add_role_key(repo.store, secrets, secrets, info, passphrase, kdf, epochs, 1)
        _write_marker(repo, secrets, {"epoch": 1, "from": 0, "upgrade": True, "rewritten": [], "written": [],
                                      "started": datetime.now(UTC).isoformat()})
        crash_point("upgrade-before-config")
        config = {**repo.config, "epoch": 1, "version": 3, "generation": 1, "legacy": True}
        roles = RoleKeys(info.id, secrets, epochs)
        repo.key_id = info.id
        _use(repo, roles, config)
        repo.write_owner_config(secrets, config)
        dropped = _drop_unendorsed_keys(repo) - 1  # the passphrase in use is the new owner key
    return info.id, max(dropped, 0)


def _drop_unendorsed_keys(repo: Repository) -> int:
    """Format 2 key objects in a format 3 repository open nothing any more: remove them."""
    legacy = [key.info.id for key in keyring.load_keys(repo.store) if key.endorsement is None]
    for key_id in legacy:
        _delete(repo, f"keys/{key_id}")  # an object lock may keep it a while: it opens nothing anyway
    return len(legacy)


def _roles(repo: Repository) -> RoleKeys:
    if repo.roles is None:
        raise BkctlError(f"this repository (format {repo.format}) predates key rotation",
                         hint="upgrade it first: `bkctl keys upgrade --target ...`")
    return repo.roles


def _use(repo: Repository, roles: RoleKeys, config: dict[str, object]) -> None:
    """Switch the open repository to ``roles`` (a new epoch first) and ``config``."""
    repo.roles, repo.config = roles, config
    repo.key = roles.metadata_key()
    repo.cipher = SessionCipher(roles, repo.store.put, repo.store.get)
    repo.reload_index()
    repo.load_tree.cache_clear()


def _current_only(repo: Repository) -> MasterKey:
    """The current epoch's metadata key, opening nothing an older one sealed."""
    roles = _roles(repo)
    return MasterKey(roles.current.metadata, roles.secrets.identity, roles.secrets.chunker_seed)


def _rewrite_pack(repo: Repository, pack: str, stats: ReencryptStats) -> set[str]:
    """Every authentic blob of ``pack`` sealed again into new packs (indexed); their names."""
    cipher = repo.cipher
    assert isinstance(cipher, SessionCipher)
    current = _current_only(repo)
    try:
        data = repo.store.get(pack)
        if not pack_name_matches(pack, data):
            raise RepositoryCorruptError(f"pack {pack} does not hash to its name")
        entries = pack_header_entries(repo.key, pack, data)
    except (NotFoundError, RepositoryCorruptError) as error:
        stats.not_authentic.append(f"{pack} ({getattr(error, 'message', error)})")
        return set()
    builder, fresh = PackBuilder(), []
    for blob_id, entry in entries:
        what = f"blob {blob_id.hex()} in pack {pack}"
        try:
            sealed = cipher.reseal(entry.kind, blob_id, data[entry.offset:entry.offset + entry.length],
                                   entry.raw_length, what)
        except (RepositoryCorruptError, KeyRoleError) as error:
            stats.not_authentic.append(f"{what} ({error.message})")
            continue
        builder.add(blob_id, entry.kind, sealed, entry.raw_length)
        stats.blobs_resealed += 1
        if builder.size >= PACK_TARGET_SIZE:
            fresh += _store(repo, builder, current)
            builder = PackBuilder()
    if builder.blobs:
        fresh += _store(repo, builder, current)
    if fresh:
        name = new_index_name()
        repo.store.put(name, repo.sign_object(name, encode_index(current, fresh)))
    stats.packs_rewritten += 1
    return {entry.pack for _, entry in fresh}


def _delete(repo: Repository, name: str) -> bool:
    """Delete ``name``; False when an object lock (an immutable vault) keeps it until its date.

    Such an object stays, unindexed and opening under no granted key, until its lock ends
    (a reclaim then deletes the pack); gone already is fine (a resumed run).
    """
    try:
        repo.store.delete(name)
    except NotFoundError:
        pass
    except ObjectLockedError:
        return False
    return True


def _signed_marker(repo: Repository) -> dict[str, object] | None:
    """The progress marker if the owner signed it (a forged or damaged one restarts the work)."""
    roles = _roles(repo)
    try:
        outer = json.loads(repo.store.get(MARKER))
        body = outer["progress"].encode()
        roles.secrets.owner_verify.verify(base64.b64decode(outer["signature"]), body)
        document: dict[str, object] = json.loads(body)
    except (NotFoundError, ValueError, KeyError, TypeError, InvalidSignature):
        return None
    return document if document.get("epoch") == roles.current.number else None


def _write_marker(repo: Repository, owner: KeySecrets, document: dict[str, object]) -> None:
    """The ``rotation`` marker: plain ``epoch``/``from``/``started`` for every reader, and the
    progress signed by the owner (only the owner's signature makes a re-encryption skip a pack)."""
    assert owner.owner_signing is not None
    body = json.dumps(document, sort_keys=True).encode()
    plain = {name: document[name] for name in ("epoch", "from", "started", "upgrade") if name in document}
    signature = base64.b64encode(owner.owner_signing.sign(body)).decode()
    repo.store.put(MARKER, json.dumps({**plain, "progress": body.decode(), "signature": signature}).encode())


def _store(repo: Repository, builder: PackBuilder, key: MasterKey) -> Items:
    finished = builder.finish(key)
    finished.store(repo.store)
    return finished.entries


def _consolidate_index(repo: Repository, written: set[str]) -> None:
    """One index object (new key) of the packs this re-encryption wrote, then every other goes.

    Read from those packs' own headers, not from index objects (which writers can add to), so
    the index that comes out of a rotation lists only what the owner authenticated and sealed.
    """
    current = _current_only(repo)
    before = set(repo.store.list("index/"))
    entries = [item for pack in sorted(written) for item in read_pack_header(repo.store, current, pack)]
    name = new_index_name()
    repo.store.put(name, repo.sign_object(name, encode_index(current, entries)))
    for stale in sorted(before - {name}):
        _delete(repo, stale)
        repo.cache.delete(stale)
    repo.reload_index()


def _reseal_points(repo: Repository, stats: ReencryptStats) -> None:
    """Every point again, under the current epoch and signed by this owner key (signers vouched before)."""
    for name in sorted(repo.store.list("points/")):
        raw = repo.store.get(name)
        try:
            point = repo.decode_point(name, raw)
        except RepositoryCorruptError as error:
            stats.not_authentic.append(f"{name} ({error.message})")
            continue
        fresh = repo.seal_point(point)
        repo.store.put(name, fresh)
        repo.cache.delete(name)
        stats.objects_resealed += 1


def _reseal_objects(repo: Repository, prefix: str, associated: Callable[[str], bytes],
                    stats: ReencryptStats) -> None:
    current = _current_only(repo)
    for name in sorted(repo.store.list(prefix)):
        raw = repo.store.get(name)
        try:
            current.open(raw, associated(name))
            continue  # sealed under the current epoch already
        except RepositoryCorruptError:
            pass
        try:
            plain = repo.key.open(raw, associated(name), what=name)
        except RepositoryCorruptError as error:
            stats.not_authentic.append(f"{name} ({error.message})")
            continue  # left as it is: it opens under no key a reader holds after the rotation
        repo.store.put(name, current.seal(plain, associated(name)))
        repo.cache.delete(name)
        stats.objects_resealed += 1


def _retire_sessions(repo: Repository, current: int) -> int:
    retired = 0
    for name in sorted(repo.store.list("sessions/")):
        try:
            epoch = int(json.loads(repo.store.get(name))["epoch"])
        except (NotFoundError, ValueError, KeyError, TypeError):
            continue
        if epoch < current and _delete(repo, name):
            retired += 1
    return retired
