"""The repository facade: open or create, then save and load blobs, trees and points.

Objects: ``config`` (plain JSON with an authentication tag), ``keys/<id>``,
``data/<xx>/<pack>``, ``index/<id>``, ``points/<id>``, ``marks/<id>``, ``locks/<id>``.
See docs/repository-format.md.

Two rules keep a reported success true while other processes work on the same
repository. Every backup session re-reads the index under its lock (never reuses the
index of an earlier backup, which a reclaim may have invalidated since), and commits a
point only after checking, with its lock confirmed, that every blob the point references
is still indexed. Damaged objects are skipped and named (``damaged``), never allowed to
take the whole repository down: one bad point document breaks that point only.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, cast

import blake3
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from bkctl.errors import (
    BkctlError,
    KeyRoleError,
    NotFoundError,
    ObjectLockedError,
    PassphraseError,
    RepositoryCorruptError,
    RepositoryLockedError,
    RepositoryNotFoundError,
)
from bkctl.repo import config as repo_config
from bkctl.repo import keyring
from bkctl.repo.arenas import limit_malloc_arenas
from bkctl.repo.blobs import BlobWriter, SaveResult
from bkctl.repo.cache import Cache
from bkctl.repo.chunker import LEGACY_PROFILE, Chunker
from bkctl.repo.crashpoints import crash_point
from bkctl.repo.crypto import BlobCipher, MasterKey
from bkctl.repo.index import Index, decode_index
from bkctl.repo.keys import KdfParams, KeyInfo, KeyObject, master_from_payload, master_payload, new_key_info
from bkctl.repo.lock import LockKind, RepositoryLock
from bkctl.repo.marks import Mark, MarkSet, read_marks, write_mark
from bkctl.repo.pack import IndexEntry
from bkctl.repo.pack_reader import read_pack_blobs
from bkctl.repo.points import (
    SIGNED_OBJECT,
    SIGNED_POINT,
    PointInfo,
    decode_point,
    encode_point,
    sign_point,
    signed_by,
    signer_of,
)
from bkctl.repo.roles import (
    ROLES,
    Epoch,
    KeySecrets,
    Role,
    RoleKeys,
    SessionCipher,
    domain_identity,
    granted,
    unwrap_with,
    wrap_to,
)
from bkctl.repo.tree import Node, decode_tree
from bkctl.secrets import Secret
from bkctl.store.base import BlobStore

__all__ = ["FORMAT_VERSION", "ConcurrentReclaimError", "Repository", "RepositoryExistsError"]

FORMAT_VERSION = repo_config.FORMAT_VERSION
_PRIVATE_AD = b"bkctl-point-private\x00"
_INDEX_READ_TRIES = 5
logger = logging.getLogger("bkctl")
T = TypeVar("T")


class RepositoryExistsError(BkctlError):
    reference = "repository-exists"


class KeysRotatedError(BkctlError):
    """The key epoch changed under a running backup; nothing was committed (run it again)."""

    reference = "keys-rotated"


class ConcurrentReclaimError(BkctlError):
    """Data a backup deduplicated against was deleted meanwhile; nothing was committed."""

    reference = "concurrent-reclaim"


class Repository:
    """An open repository. Use as a context manager or call :meth:`close`."""

    def __init__(self, store: BlobStore, config: dict[str, object], key_id: str,
                 key: MasterKey, cache_dir: Path | None, roles: RoleKeys | None = None) -> None:
        limit_malloc_arenas()  # before any of the engine's threads allocate
        self.store = store
        self.id = str(config["id"])
        self.config = config
        self.key = key  # seals metadata (index, points, marks, runs) and keys chunk ids
        self.key_id = key_id
        self.roles = roles  # format 3: this key's role and its keys
        self.role: Role = roles.role if roles else "owner"
        self.cipher: BlobCipher = SessionCipher(roles, store.put, store.get) if roles else key
        self._signers: dict[str, tuple[KeyInfo, Ed25519PublicKey]] | None = None
        self._trusted_index: set[str] = set()  # index objects an owner or manager key signed
        self.committed_references: list[bytes] | None = None  # the blob ids the last committed point needs
        self.cache = Cache(cache_dir, self.id)
        self._chunker: Chunker | None = None
        self.damaged: dict[str, str] = {}  # object name -> why it could not be read
        self.marks = MarkSet()
        self._index: Index | None = None
        self._writer: BlobWriter | None = None
        self._session: RepositoryLock | None = None
        self._lazy_lock = threading.RLock()  # worker threads reach index/writer first
        self.load_tree = lru_cache(maxsize=256)(self._load_tree)

    @property
    def chunker(self) -> Chunker:
        """Cuts new data with the profile the config names; made on first use, so that a
        profile this bkctl does not know stops backups only, not restores or listings."""
        if self._chunker is None:
            self._chunker = Chunker(self.key.chunker_seed, str(self.config.get("chunker", LEGACY_PROFILE)))
        return self._chunker

    @chunker.setter
    def chunker(self, chunker: Chunker) -> None:
        self._chunker = chunker

    # -- lifecycle ---------------------------------------------------------------
    @staticmethod
    def exists(store: BlobStore) -> bool:
        return store.exists("config")

    @classmethod
    def init(cls, store: BlobStore, passphrase: Secret, *, kdf: KdfParams | None = None,
             cache_dir: Path | None = None) -> Repository:
        """Create a repository; the config is written last so it marks a complete init.

        Under an exclusive lock: two hosts initialising one new vault at once would
        otherwise each write a master key and a config, and the repository would open with
        one host's key and the other's config. Key objects found before the config exists
        are a crashed init's leftovers and are removed.
        """
        with _init_lock(store):
            if cls.exists(store):
                raise RepositoryExistsError("a repository already exists here",
                                            hint="use it, or pick an empty location")
            for leftover in [*store.list("keys/"), *store.list("grants/")]:
                with suppress(ObjectLockedError):  # a crashed init's, locked a while: it opens nothing
                    store.delete(leftover)
            root = MasterKey.generate()  # its identity and chunker seed become the owner's roots
            secrets = KeySecrets.new_owner(root.identity, root.chunker_seed)
            epoch = Epoch.generate(0)
            info = new_key_info("owner")
            keyring.add_role_key(store, secrets, secrets, info, passphrase, kdf, [epoch], 0)
            roles = RoleKeys(info.id, secrets, [epoch])
            config = {**repo_config.new_config(), "epoch": 0, "generation": 0}
            store.put("config", repo_config.encode(roles.metadata_key(), config, owner=secrets.owner_signing))
        repository = cls(store, config, info.id, roles.metadata_key(), cache_dir, roles)
        repository.check_generation()
        return repository

    @classmethod
    def open(cls, store: BlobStore, passphrase: Secret, *,
             cache_dir: Path | None = None) -> Repository:
        try:
            config = repo_config.parse(store.get("config"))
        except NotFoundError:
            raise RepositoryNotFoundError("no repository found (config object is missing)",
                                          hint="initialise the target first") from None
        opened: dict[str, RoleKeys] = {}
        refused: list[BkctlError] = []

        def accept(key: KeyObject, payload: dict[str, object]) -> bool:
            if "role" not in payload:  # a format 2 key object; in a format 3 repository it opens nothing
                return int(str(config.get("version", 1))) < 3 and _opens_config(master_from_payload(payload), config)
            try:
                roles = _role_keys(store, key.info.id, payload, config)
            except BkctlError as error:
                refused.append(error)
                return False  # e.g. a copy of a key object under another name: try the others
            if roles is None or not _opens_config(roles.metadata_key(), config):
                return False
            opened[key.info.id] = roles
            return True

        try:
            remembered = Cache(cache_dir, str(config["id"])).get("key-id")
            key, payload = keyring.find_key(store, passphrase, str(config["id"]), accept=accept,
                                            first=remembered.decode() if remembered else None)
        except PassphraseError:
            if refused:
                raise refused[0] from None  # the passphrase matched, the key is not usable: say why
            raise
        roles = opened.get(key.info.id)
        if roles is not None:
            repository = cls(store, config, key.info.id, roles.metadata_key(), cache_dir, roles)
            repository.check_generation()
            repository.remember_key()
            return repository
        master = master_from_payload(payload)
        if repo_config.authenticate(master, config):
            store.put("config", repo_config.encode(master, config, 2))  # format 1 -> 2
            config["version"] = 2
        return cls(store, config, key.info.id, master, cache_dir)

    @property
    def format(self) -> int:
        return int(str(self.config.get("version", 1)))

    @property
    def generation(self) -> int:
        """Format 3: raised by every rotation step; grants older than it are refused."""
        return int(str(self.config.get("generation", 0)))

    def remember_key(self) -> None:
        """Note which key object opened this repository here, so the next open tries it first."""
        if self.cache.get("key-id") != self.key_id.encode():
            self.cache.put("key-id", self.key_id.encode())

    def check_generation(self) -> None:
        """Refuse a config older than one this machine has seen (an old config and grants put
        back to undo a rotation), then remember this one. A machine that never saw the newer
        one cannot tell: docs/security.md says so."""
        seen = self.cache.get("generation")
        if seen is not None and seen.isdigit() and int(seen) > self.generation:
            raise RepositoryCorruptError(
                f"the repository's config is generation {self.generation}, older than generation {int(seen)} this "
                "machine has seen: someone put back an old config (a rollback of a key rotation); refusing",
                hint="restore the newer config, or have an owner rotate the keys again")
        if seen != str(self.generation).encode():
            self.cache.put("generation", str(self.generation).encode())

    def require(self, *roles: Role, doing: str) -> None:
        """KeyRoleError unless this key's role is one of ``roles`` (exit code 77)."""
        if self.role not in roles:
            needed = " or ".join(f"an {r}" if r == "owner" else f"a {r}" for r in roles)
            raise KeyRoleError(f"a {self.role} key cannot {doing}; that needs {needed} key",
                               hint="run this where a key of that role is configured")

    def close(self) -> None:
        if self._writer is not None:
            self.abort()
        self.load_tree.cache_clear()

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def lock(self, kind: LockKind = "shared") -> RepositoryLock:
        return RepositoryLock(self.store, kind=kind)

    @contextmanager
    def session(self) -> Iterator[RepositoryLock]:
        """A writing session (backup, copy): shared lock, then a fresh index.

        The index is read after the lock is written, so either this session sees every
        mark a reclaim writes from now on, or that reclaim records this lock and waits
        for it (docs/repository-format.md, "Two-phase reclaim").
        """
        self._refuse_manager_points()
        with self.lock("shared") as lock:
            self._session = lock
            self.cipher.new_session()
            self.check_epoch()
            try:
                self.refresh_index()
                yield lock
            except BaseException:
                self.abort()
                raise
            finally:
                self._session = None
                self.cipher.new_session()

    # -- objects read through the cache ----------------------------------------------
    def load_objects(self, prefix: str, decode: Callable[[str, bytes], T], *,
                     names: Iterable[str] | None = None, trust_cache: bool = True) -> dict[str, T]:
        """Decode every object under ``prefix``; damaged ones are skipped and named.

        A cached copy that fails to decode is dropped and the store's copy is read
        instead: damage in the cache stays local and costs one download.
        """
        listed = set(self.store.list(prefix)) if names is None else set(names)
        if names is None:
            self.cache.prune(prefix, listed)
            for gone in [n for n in self.damaged if n.startswith(prefix) and n not in listed]:
                del self.damaged[gone]
        decoded: dict[str, T] = {}
        for name in sorted(listed):
            self.damaged.pop(name, None)
            value = self._load_object(name, decode, trust_cache)
            if value is not None:
                decoded[name] = value
        return decoded

    def _load_object(self, name: str, decode: Callable[[str, bytes], T], trust_cache: bool) -> T | None:
        raw = self.cache.get(name) if trust_cache else None
        if raw is not None:
            try:
                return decode(name, raw)
            except RepositoryCorruptError:
                logger.warning("dropping damaged cache entry %s", name)
                self.cache.delete(name)
        try:
            raw = self.store.get(name)
        except NotFoundError:
            return None  # deleted concurrently
        try:
            value = decode(name, raw)
        except RepositoryCorruptError as error:
            self.damaged[name] = error.message
            logger.warning("%s", error.message)
            return None
        self.cache.put(name, raw)
        return value

    # -- the index ---------------------------------------------------------------------
    @property
    def index(self) -> Index:
        with self._lazy_lock:
            if self._index is None:
                self.refresh_index()
            assert self._index is not None
            return self._index

    def refresh_index(self) -> Index:
        """Bring the index up to date with the store: new objects added, marks applied.

        When an index object this process loaded is gone (a reclaim consolidated it),
        the index is rebuilt from scratch rather than trusted.
        """
        with self._lazy_lock:
            index = self.read_index(self._index)
            if index is not self._index:
                self._writer = None
            self.marks = self.read_marks()
            index.set_marked(self.marks.packs)
            self._index = index
            return index

    def read_index(self, current: Index | None = None, *, trust_cache: bool = True) -> Index:
        """``current`` with the index objects added since, or a new index when one it holds is gone.

        A reclaim rewrites the index by storing a consolidated object and then deleting the
        ones it replaces; an object listed here but deleted before it was read means that
        happened meanwhile, so the listing is read again (the consolidated object is there by
        then). Without this, a session could miss live entries and refuse its commit.
        """
        index = current
        for _ in range(_INDEX_READ_TRIES):
            names = set(self.store.list("index/"))
            if trust_cache:
                self.cache.prune("index/", names)
            for gone in [n for n in self.damaged if n.startswith("index/") and n not in names]:
                del self.damaged[gone]
            if index is None or not index.objects <= names:
                index = Index()
            wanted = names - index.objects
            index.trust_all = self.roles is None
            loaded = {name for name in sorted(wanted) if self._add_index_object(index, name, trust_cache)}
            if not wanted - loaded - set(self.damaged):
                return index
        raise RepositoryCorruptError("the index kept changing while it was read",
                                     hint="another process is rewriting the index; run the command again")

    def _add_index_object(self, index: Index, name: str, trust_cache: bool) -> bool:
        """Read one index object into ``index``; False when it is gone or damaged.

        Objects are added one at a time, so only one object's decoded entries exist
        beside the index (all of them at once cost about 240 bytes an entry on top of
        the index itself, while a large repository is opened: 11.4 MiB for 48,000)."""
        loaded = self.load_objects("index/", self._decode_index, names=[name], trust_cache=trust_cache)
        items = loaded.get(name)
        if items is None:
            return False
        index.add(items)
        index.objects.add(name)
        if name in self._trusted_index:
            index.trusted.update(entry.pack for _, entry in items)
        return True

    def _decode_index(self, name: str, raw: bytes) -> list[tuple[bytes, IndexEntry]]:
        if self.roles is None or not raw.startswith(SIGNED_OBJECT):
            return decode_index(self.key, name, raw)
        items = decode_index(self.key, name, self.open_maintained(name, raw))
        self._trusted_index.add(name)
        return items

    def content_id(self, data: bytes, domain: str = "") -> bytes:
        """The chunk id ``data`` has in a point of ``domain`` (a writer's points key ids their own way)."""
        if self.roles is None or not domain or domain == self.roles.secrets.domain:
            return self.cipher.blob_id(data)
        if self.roles.secrets.root_identity is None:
            raise KeyRoleError(f"a {self.role} key cannot check data of another host")
        return blake3.blake3(data, key=domain_identity(self.roles.secrets.root_identity, domain)).digest()

    def sign_object(self, name: str, raw: bytes) -> bytes:
        """A mark or index object signed by this key (format 3; as it is in format 2)."""
        if self.roles is None:
            return raw
        return sign_point(raw, name, self.key_id, self.roles.secrets.signing, SIGNED_OBJECT)

    def open_maintained(self, name: str, raw: bytes) -> bytes:
        """What an owner or manager key signed; RepositoryCorruptError for anything else."""
        if self.roles is None:
            return raw
        signer, inner = self._signed(name, raw, SIGNED_OBJECT)
        if signer.role not in ("owner", "manager"):
            raise RepositoryCorruptError(f"{name} is signed by a {signer.role} key, which may not write it (forged)")
        return inner

    def _signed(self, name: str, raw: bytes, magic: bytes) -> tuple[KeyInfo, bytes]:
        """The endorsed signer of a signed object and what it signed (keys re-read once for an unknown signer)."""
        signers = self.signers()
        if signer_of(raw, magic) and signer_of(raw, magic) not in signers:
            signers = self.signers(refresh=True)
        key_id, inner = signed_by(name, raw, {k: public for k, (_, public) in signers.items()}, magic)
        return signers[key_id][0], inner

    def read_marks(self) -> MarkSet:
        return read_marks(self.store, self.key, self.open_maintained if self.roles else None)

    def write_mark(self, mark: Mark) -> None:
        write_mark(self.store, self.key, mark, self.sign_object if self.roles else None)

    def use_index(self, index: Index) -> None:
        """Read through ``index`` from now on (verify builds one from the store alone)."""
        with self._lazy_lock:
            self._index, self._writer = index, None
            self.load_tree.cache_clear()

    def reload_index(self) -> None:
        """Forget the loaded index (and the writer bound to it); the next use re-reads it."""
        with self._lazy_lock:
            self._index = None
            self._writer = None

    # -- blobs and trees ------------------------------------------------------------
    @property
    def writer(self) -> BlobWriter:
        with self._lazy_lock:
            if self._writer is None:
                sign = self.sign_object if self.role in ("owner", "manager") and self.roles else None
                self._writer = BlobWriter(self.store, self.key, self.index, self.cipher, sign)
            return self._writer

    def save_blob(self, kind: str, data: bytes | memoryview, compression: int | None) -> SaveResult:
        return self.writer.save(kind, data, compression)

    def save_blobs(self, kind: str, datas: list[bytes], compression: int | None) -> list[SaveResult]:
        return self.writer.save_many(kind, datas, compression)

    def flush(self) -> None:
        if self._writer is not None:
            self._writer.flush()

    def abort(self) -> None:
        """Drop unfinished work after a failure: unindexed packs are deleted, the index re-read."""
        with self._lazy_lock:
            if self._writer is not None:
                self._writer.abort()
            self.reload_index()

    def load_blob(self, blob_id: bytes, kind: str = "d") -> bytes:
        """Read, authenticate, decompress and re-hash one blob; another copy is tried on damage."""
        copies = self.index.copies(blob_id) or [self.index.get(blob_id)]
        failure: RepositoryCorruptError | None = None
        for entry in copies:
            what = f"blob {blob_id.hex()} in pack {entry.pack}"
            try:
                sealed = self.store.get_range(entry.pack, entry.offset, entry.length)
                return self.cipher.open_blob(kind, blob_id, sealed, entry.raw_length, what)
            except NotFoundError:
                failure = RepositoryCorruptError(f"pack {entry.pack} is missing",
                                                 hint="run 'bkctl verify' to list affected points")
            except RepositoryCorruptError as error:
                failure = error
        assert failure is not None
        raise failure

    def read_pack(self, pack: str, blobs: list[tuple[bytes, IndexEntry]]
                  ) -> Iterator[tuple[bytes, bytes | RepositoryCorruptError]]:
        """Many blobs of one pack in a few ranged reads; damage comes back per blob (see pack_reader)."""
        return read_pack_blobs(self.store, self.cipher, pack, blobs)

    def check_stored(self, blob_ids: Iterable[bytes]) -> None:
        """RepositoryCorruptError unless every blob is indexed and its pack exists.

        Reads no data: lets a stream restore refuse before it writes anything.
        """
        packs = {self.index.get(blob_id).pack for blob_id in blob_ids}
        for pack in sorted(packs):
            if not self.store.exists(pack):
                raise RepositoryCorruptError(f"pack {pack} is missing")

    def _load_tree(self, tree_id: str) -> list[Node]:
        return decode_tree(self.load_blob(bytes.fromhex(tree_id), "t"), tree_id)

    # -- recovery points --------------------------------------------------------------
    def list_points(self, *, private: bool = True) -> list[PointInfo]:
        """Every readable point, oldest first; damaged documents are named in ``damaged``.

        ``private=False`` leaves out what format 3 seals apart (root, paths, errors: see
        :data:`bkctl.repo.points.PRIVATE_FIELDS`), which costs an X25519 exchange per point:
        planning lists 100,000 points and needs none of it.
        """
        points = self.load_objects("points/", lambda name, raw: self.decode_point(name, raw, private=private))
        return sorted(points.values(), key=lambda point: (point.time, point.id))

    def load_point(self, point_id: str) -> PointInfo | None:
        """One point with everything this key may read (None when it is gone or damaged)."""
        return self.load_objects("points/", self.decode_point, names=[f"points/{point_id}"]).get(f"points/{point_id}")

    def decode_point(self, name: str, raw: bytes, *, private: bool = True) -> PointInfo:
        """A point document; in format 3 only if signed by an endorsed key of its host (or an owner's)."""
        if self.roles is None:
            return decode_point(self.key, name, raw)
        legacy = self.roles.legacy_key()
        if legacy is not None and not raw.startswith(SIGNED_POINT):
            return decode_point(legacy, name, raw)  # written before the upgrade to format 3
        signer, sealed = self._signed(name, raw, SIGNED_POINT)
        point = decode_point(self.key, name, sealed, self._private_opener(name) if private else None)
        if signer.role == "manager":  # managers prune and reclaim; they never write points
            raise RepositoryCorruptError(f"recovery point {name} is signed by a manager key (forged)")
        if signer.role == "writer" and signer.host != point.host:
            raise RepositoryCorruptError(f"recovery point {name} claims host {point.host!r} but is signed by "
                                         f"the key of host {signer.host!r} (forged)")
        return point

    def _private_opener(self, name: str) -> Callable[[dict[str, Any]], bytes | None]:
        """Opens a point's private part with the tree key of its epoch (None: this key has none)."""
        assert self.roles is not None
        roles = self.roles

        def reveal(sealed: dict[str, Any]) -> bytes | None:
            epoch = roles.epoch(int(sealed.get("epoch", -1)))
            if epoch is None or epoch.tree_private is None:
                if roles.can_read("t"):
                    raise RepositoryCorruptError(f"recovery point {name} is sealed under a key epoch this key "
                                                 "does not hold")
                return None
            try:
                return unwrap_with(epoch.tree_private, sealed, _PRIVATE_AD + name.encode())
            except (InvalidTag, ValueError, KeyError, TypeError):
                raise RepositoryCorruptError(f"recovery point {name}: its private part is damaged") from None

        return reveal

    def _refuse_manager_points(self) -> None:
        if self.role == "manager":
            raise KeyRoleError("a manager key does not write recovery points (every reader refuses them)",
                               hint="back up with a writer key on the host, or an owner key")

    def seal_point(self, point: PointInfo) -> bytes:
        """The stored form of ``point``: sealed and, in format 3, its private part apart and signed.

        A writer key is bound to its host: a point naming another host is refused here,
        before it is stored, instead of being stored and then read as forged by everyone.
        """
        name = f"points/{point.id}"
        if self.roles is None:
            return encode_point(self.key, point)
        self._refuse_manager_points()
        if self.role == "writer":
            mine = self.signers().get(self.key_id)
            host = mine[0].host if mine else "?"
            if host != point.host:
                raise KeyRoleError(f"this writer key belongs to host {host!r}; it cannot write a point of host "
                                   f"{point.host!r}", hint="set `settings.host` to the key's host, or have an owner "
                                   "add a writer key with `--host`")
        epoch = self.roles.current

        def seal_private(body: bytes) -> dict[str, Any]:
            return {"epoch": epoch.number, **wrap_to(epoch.tree_public, body, _PRIVATE_AD + name.encode())}

        return sign_point(encode_point(self.key, point, seal_private), name, self.key_id, self.roles.secrets.signing)

    def signers(self, *, refresh: bool = False) -> dict[str, tuple[KeyInfo, Ed25519PublicKey]]:
        """Keys the owner endorsed, by id (format 3)."""
        if self._signers is None or refresh:
            assert self.roles is not None
            endorsed = keyring.endorsed_keys(self.store, self.roles.secrets.owner_verify)
            revoked = set(self.revoked())
            self._signers = {key_id: (info, Ed25519PublicKey.from_public_bytes(public))
                             for key_id, (info, public) in endorsed.items() if key_id not in revoked}
        return self._signers

    def damaged_points(self) -> list[str]:
        """Ids of point documents the last listing could not read."""
        return sorted(name.removeprefix("points/") for name in self.damaged if name.startswith("points/"))

    def get_point(self, point_id_or_unique_prefix: str) -> PointInfo:
        prefix = point_id_or_unique_prefix
        matches = [p for p in self.list_points(private=False) if p.id.startswith(prefix)] if prefix else []
        broken = [i for i in self.damaged_points() if prefix and i.startswith(prefix)]
        if broken and not matches:
            raise RepositoryCorruptError(f"recovery point {broken[0]} is damaged: "
                                         f"{self.damaged[f'points/{broken[0]}']}",
                                         hint="other points are not affected; `bkctl verify` lists the damage")
        if not matches:
            raise NotFoundError(f"no recovery point {prefix!r} in repository {self.id[:8]}")
        if len(matches) + len(broken) > 1:
            raise BkctlError(f"recovery point prefix {prefix!r} is ambiguous "
                             f"({len(matches) + len(broken)} matches)", hint="give more characters")
        if self.roles is None:
            return matches[0]
        if not self.roles.can_read("t"):
            raise KeyRoleError(f"a {self.role} key cannot read folder listings",
                               hint="restore, list and browse with an owner key")
        full = self.load_point(matches[0].id)
        if full is None:
            raise NotFoundError(f"recovery point {matches[0].id} was deleted meanwhile")
        return full

    def commit_point(self, point: PointInfo, references: Iterable[bytes] | None = None) -> None:
        """Write the point document: the last write of a backup.

        With ``references`` (every blob id the point needs), first confirm this
        session's lock and that each of them is indexed now; otherwise a concurrent
        reclaim removed something and nothing is committed.
        """
        self.committed_references = None
        if references is not None:
            references = list(references)
            self._check_references(references)
            self.committed_references = references
        crash_point("before-point-commit")
        if self.roles is not None:  # the ids it references are keyed in this key's domain (a copy's too)
            point = replace(point, domain=self.roles.secrets.domain)
        raw = self.seal_point(point)
        self.store.put(f"points/{point.id}", raw)
        crash_point("after-point-commit")
        self.cache.put(f"points/{point.id}", raw)

    def check_epoch(self) -> None:
        """Refuse to write under a key epoch the repository has left (a rotation finished since
        this process opened it): what it sealed would be readable by no one."""
        if self.roles is None:
            return
        try:
            current = repo_config.parse(self.store.get("config"))
        except NotFoundError:
            raise RepositoryNotFoundError("the repository's config is gone") from None
        if str(current.get("epoch")) != str(self.config.get("epoch")):
            raise KeysRotatedError("the repository's keys were rotated since this run opened it; nothing was "
                                   "written under the old keys", hint="run the command again")

    def _check_references(self, references: Iterable[bytes]) -> None:
        self.check_epoch()
        if self._session is not None:
            self._session.confirm()
        index = self.refresh_index()
        missing = [blob_id for blob_id in references if blob_id not in index]
        if missing:
            self.abort()
            raise ConcurrentReclaimError(
                f"{len(missing)} blob(s) this backup relies on were removed by a concurrent "
                f"reclaim (first: {missing[0].hex()[:16]}); no recovery point was written",
                hint="run the backup again; it stores that data anew")

    def delete_points(self, ids: list[str]) -> None:
        """Delete point documents (prune); their data goes in a later reclaim."""
        self.require("owner", "manager", doing="delete recovery points")
        with self.lock("maintenance"):
            for point_id in ids:
                point = self.get_point(point_id)
                self.store.delete(f"points/{point.id}")
                self.cache.delete(f"points/{point.id}")
                self.cache.delete(f"files/{point.id}")
                self.cache.delete(f"trees/{point.id}")

    # -- keys -------------------------------------------------------------------------
    def add_key(self, new: Secret, kdf: KdfParams | None = None, *, role: str = "owner",
                host: str | None = None) -> str:
        """A key for ``new``: in format 3 of ``role`` (a writer's for ``host``), endorsed by this owner key."""
        self.require("owner", doing="add keys")
        if role not in ROLES:
            raise BkctlError(f"unknown key role {role!r} (owner, manager or writer)")
        if self.roles is None:
            if role != "owner":
                raise KeyRoleError(f"this repository (format {self.format}) predates key roles; "
                                   "every key of it is an owner key",
                                   hint="upgrade it first: `bkctl keys upgrade --target ...`")
            return keyring.add_key(self.store, master_payload(self.key), new, kdf)
        info = new_key_info(role, host)
        secrets = self.roles.secrets.derive(cast(Role, role), info.id)
        return keyring.add_role_key(self.store, self.roles.secrets, secrets, info, new, kdf, self.roles.epochs,
                                    self.generation)

    def list_keys(self) -> list[KeyInfo]:
        return keyring.list_keys(self.store)

    def revoked(self) -> list[str]:
        """Format 3: ids of removed keys, in the owner-signed config (a locked key object may outlive its removal)."""
        value = self.config.get("revoked", [])
        return [str(key_id) for key_id in value] if isinstance(value, list) else []

    def remove_key(self, key_id: str) -> None:
        """Remove a key; in format 3 its points are first signed again by this owner key, so a
        decommissioned host's history stays valid (unsigned by a removed key, it would read as forged).

        Format 3 also names the key in the signed config's ``revoked`` list (a new generation,
        granted again to every other key): on an immutable vault its key object and grant
        cannot be deleted before their locks end, and must open nothing meanwhile.
        """
        self.require("owner", doing="remove keys")
        if self.roles is None:
            keyring.remove_key(self.store, key_id, self.key_id)
            return
        keyring.check_removable(self.store, key_id, self.key_id)
        if key_id != self.key_id:
            self._adopt_points(key_id)
        self._revoke(key_id)
        with suppress(ObjectLockedError):
            keyring.remove_key(self.store, key_id, self.key_id)

    def _revoke(self, key_id: str) -> None:
        """Name ``key_id`` in the signed config's ``revoked`` list, in a new generation granted to
        every other key: the removed key opens nothing even where its objects cannot be deleted yet."""
        assert self.roles is not None
        with self.lock("exclusive"):
            config = {**self.config, "revoked": sorted({*self.revoked(), key_id}), "generation": self.generation + 1}
            self.config = config  # signers() reads the list: the revoked key is granted nothing below
            self.grant_all(self.roles, self.roles.epochs, self.generation)
            self.write_owner_config(self.roles.secrets, config)

    def grant_all(self, roles: RoleKeys, epochs: list[Epoch], generation: int) -> None:
        """A grant of ``epochs`` (as much as each role gets) to every key the owner endorsed and did not revoke."""
        assert roles.secrets.owner_signing is not None
        signers = self.signers(refresh=True)
        for key in keyring.load_keys(self.store):
            if key.info.id not in signers or key.endorsement is None:
                continue  # not endorsed, or revoked: granted nothing
            grant = X25519PublicKey.from_public_bytes(key.endorsement.grant)
            role = cast(Role, key.info.role if key.info.role in ROLES else "writer")
            keyring.write_grant(self.store, roles.secrets, key.info.id, grant, granted(epochs, role), generation)

    def write_owner_config(self, owner: KeySecrets, config: dict[str, object]) -> None:
        """The format 3 config: tagged with the current metadata key, signed by the owner."""
        assert self.roles is not None
        current = MasterKey(self.roles.current.metadata, self.roles.secrets.identity, self.roles.secrets.chunker_seed)
        self.store.put("config", repo_config.encode(current, config, 3, owner=owner.owner_signing))
        self.check_generation()

    def _adopt_points(self, key_id: str) -> None:
        assert self.roles is not None
        self.signers(refresh=True)
        for name in sorted(self.store.list("points/")):
            try:
                raw = self.store.get(name)
                if signer_of(raw) != key_id:
                    continue
                self.decode_point(name, raw, private=False)  # signature and host check: vouch for valid points only
                _, sealed = signed_by(name, raw, {key_id: self.signers()[key_id][1]})
            except (NotFoundError, RepositoryCorruptError, KeyError):
                continue  # gone meanwhile, damaged or forged: nothing to vouch for
            else:
                self.store.put(name, sign_point(sealed, name, self.key_id, self.roles.secrets.signing))
                self.cache.delete(name)

    def change_passphrase(self, new: Secret, kdf: KdfParams | None = None) -> None:
        """Re-wrap this key's secrets under ``new`` (a new key object first, then the old one goes).

        The secrets stay the same: this does not revoke a leaked key (rotation would).
        """
        if self.roles is not None:  # same id, so the owner's endorsement and its signatures stay valid
            keyring.rewrap_key(self.store, self.key_id, self.roles.secrets.to_payload(), new, kdf)
            return
        old = self.key_id
        self.key_id = keyring.add_key(self.store, master_payload(self.key), new, kdf)
        self.store.delete(f"keys/{old}")


def _opens_config(key: MasterKey, config: dict[str, object]) -> bool:
    """Whether ``key`` is this repository's metadata (or master) key: its config authenticates with it."""
    try:
        repo_config.authenticate(key, config)
    except RepositoryCorruptError:
        return False
    return True


def _role_keys(store: BlobStore, key_id: str, payload: dict[str, object],
               config: dict[str, object]) -> RoleKeys | None:
    """A format 3 key with its granted epochs, the config's current epoch first (None: not this repository's)."""
    if int(str(config.get("version", 1))) < 3:
        return None  # left by an upgrade to format 3 that was killed before its config switch
    try:
        secrets = KeySecrets.from_payload(payload)
    except (ValueError, KeyError, TypeError):
        return None
    repo_config.check_owner_signature(config, secrets.owner_verify)  # before anything the config says is used
    revoked = config.get("revoked", [])
    if isinstance(revoked, list) and key_id in revoked:
        raise KeyRoleError(f"key {key_id[:12]} was removed from this repository", hint="ask an owner for a new key")
    epochs, generation = keyring.read_grant(store, key_id, secrets)
    if generation < int(str(config.get("generation", 0))):
        raise KeyRoleError(f"key {key_id[:12]}'s grant is older than the repository's key generation (it was "
                           "removed before a rotation, or an old grant was put back)",
                           hint="ask an owner for a new key")
    if not config.get("legacy"):
        epochs = [epoch for epoch in epochs if not epoch.legacy]  # only a signed config re-opens format 2 data
    current = int(str(config.get("epoch", 0)))
    ordered = sorted(epochs, key=lambda epoch: (epoch.number != current, -epoch.number))
    if not ordered or ordered[0].number != current:
        raise KeyRoleError(f"key {key_id[:12]} was not granted the repository's current key epoch {current} "
                           "(it was removed before a rotation)", hint="ask an owner for a new key")
    return RoleKeys(key_id, secrets, ordered)


@contextmanager
def _init_lock(store: BlobStore, wait_seconds: float = 30.0) -> Iterator[RepositoryLock]:
    """An exclusive lock on a store that may hold no repository yet, waited for briefly:
    a concurrent init finishes in well under a second (random back-off breaks ties)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            with RepositoryLock(store, kind="exclusive") as lock:
                yield lock
                return
        except RepositoryLockedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.05, 0.5))
