"""The repository facade: open or create, then save and load blobs, trees and points.

Objects: ``config`` (plain JSON: format version and repository id), ``keys/<id>``,
``data/<xx>/<pack>``, ``index/<id>``, ``points/<id>``, ``locks/<id>``. See
docs/repository-format.md.
"""

from __future__ import annotations

import json
import secrets
import threading
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from types import TracebackType

from bkctl.errors import BkctlError, NotFoundError, RepositoryCorruptError, RepositoryNotFoundError
from bkctl.repo import keyring
from bkctl.repo.blobs import BlobWriter, SaveResult, blob_associated_data
from bkctl.repo.cache import Cache
from bkctl.repo.chunker import Chunker
from bkctl.repo.crypto import MasterKey, decompress
from bkctl.repo.index import Index, decode_index
from bkctl.repo.keys import KdfParams, KeyInfo
from bkctl.repo.lock import RepositoryLock
from bkctl.repo.points import PointInfo, decode_point, encode_point
from bkctl.repo.tree import Node, decode_tree
from bkctl.secrets import Secret
from bkctl.store.base import BlobStore

__all__ = ["FORMAT_VERSION", "Repository"]

FORMAT_VERSION = 1


class Repository:
    """An open repository. Use as a context manager or call :meth:`close`."""

    def __init__(self, store: BlobStore, config: dict[str, object], key_id: str,
                 key: MasterKey, cache_dir: Path | None) -> None:
        self.store = store
        self.id = str(config["id"])
        self.key = key
        self.key_id = key_id
        self.cache = Cache(cache_dir, self.id)
        self.chunker = Chunker(key.chunker_seed)
        self._index: Index | None = None
        self._writer: BlobWriter | None = None
        self._lazy_lock = threading.RLock()  # worker threads reach index/writer first
        self.load_tree = lru_cache(maxsize=256)(self._load_tree)

    # -- lifecycle ---------------------------------------------------------------
    @staticmethod
    def exists(store: BlobStore) -> bool:
        return store.exists("config")

    @classmethod
    def init(cls, store: BlobStore, passphrase: Secret, *, kdf: KdfParams | None = None,
             cache_dir: Path | None = None) -> Repository:
        """Create a repository; the config is written last so it marks a complete init."""
        if cls.exists(store):
            raise BkctlError("a repository already exists here", hint="use it, or pick an "
                             "empty location")
        master = MasterKey.generate()
        config = {"version": FORMAT_VERSION, "id": secrets.token_hex(32),
                  "created": datetime.now(UTC).isoformat(), "chunker": "fastcdc-1MiB"}
        key_id = keyring.add_key(store, master, passphrase, kdf)
        store.put("config", json.dumps(config, indent=1).encode())
        return cls(store, config, key_id, master, cache_dir)

    @classmethod
    def open(cls, store: BlobStore, passphrase: Secret, *,
             cache_dir: Path | None = None) -> Repository:
        try:
            config = json.loads(store.get("config"))
        except NotFoundError:
            raise RepositoryNotFoundError("no repository found (config object is missing)",
                                          hint="initialise the target first") from None
        except ValueError:
            raise RepositoryCorruptError("repository config is unreadable") from None
        if config.get("version") != FORMAT_VERSION:
            raise BkctlError(f"repository format version {config.get('version')} is not "
                             f"supported (this bkctl reads {FORMAT_VERSION})")
        key_id, master = keyring.find_key(store, passphrase, str(config["id"]))
        return cls(store, config, key_id, master, cache_dir)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.abort()
        self.load_tree.cache_clear()

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def lock(self, *, exclusive: bool) -> RepositoryLock:
        return RepositoryLock(self.store, exclusive=exclusive)

    # -- cached immutable objects -----------------------------------------------
    def cached_objects(self, prefix: str) -> dict[str, bytes]:
        """All objects under ``prefix``, read from the cache where possible."""
        names = set(self.store.list(prefix))
        self.cache.prune(prefix, names)
        objects = {}
        for name in sorted(names):
            raw = self.cache.get(name)
            if raw is None:
                try:
                    raw = self.store.get(name)
                except NotFoundError:
                    continue  # deleted concurrently
                self.cache.put(name, raw)
            objects[name] = raw
        return objects

    @property
    def index(self) -> Index:
        with self._lazy_lock:
            return self._load_index()

    def _load_index(self) -> Index:
        if self._index is None:
            index = Index()
            for name, raw in self.cached_objects("index/").items():
                try:
                    index.add(decode_index(self.key, name, raw))
                except RepositoryCorruptError:
                    self.cache.delete(name)
                    raise
            self._index = index
        return self._index

    def reload_index(self) -> None:
        self._index = None
        self._writer = None

    # -- blobs and trees ------------------------------------------------------------
    @property
    def writer(self) -> BlobWriter:
        with self._lazy_lock:
            if self._writer is None:
                self._writer = BlobWriter(self.store, self.key, self.index)
            return self._writer

    def save_blob(self, kind: str, data: bytes | memoryview, compression: int | None) -> SaveResult:
        return self.writer.save(kind, data, compression)

    def flush(self) -> None:
        if self._writer is not None:
            self._writer.flush()

    def load_blob(self, blob_id: bytes, kind: str = "d") -> bytes:
        """Read, authenticate, decompress and re-hash one blob."""
        entry = self.index.get(blob_id)
        what = f"blob {blob_id.hex()} in pack {entry.pack}"
        try:
            sealed = self.store.get_range(entry.pack, entry.offset, entry.length)
        except NotFoundError:
            raise RepositoryCorruptError(f"pack {entry.pack} is missing",
                                         hint="run 'verify' to list affected points") from None
        plain = decompress(self.key.open(sealed, blob_associated_data(kind, blob_id), what),
                           entry.raw_length)
        if self.key.blob_id(plain) != blob_id:
            raise RepositoryCorruptError(f"{what} does not match its id")
        return plain

    def _load_tree(self, tree_id: str) -> list[Node]:
        return decode_tree(self.load_blob(bytes.fromhex(tree_id), "t"), tree_id)

    # -- recovery points --------------------------------------------------------------
    def list_points(self) -> list[PointInfo]:
        points = [decode_point(self.key, name, raw)
                  for name, raw in self.cached_objects("points/").items()]
        return sorted(points, key=lambda point: (point.time, point.id))

    def get_point(self, point_id_or_unique_prefix: str) -> PointInfo:
        prefix = point_id_or_unique_prefix
        matches = [p for p in self.list_points() if p.id.startswith(prefix)] if prefix else []
        if not matches:
            raise NotFoundError(f"no recovery point {prefix!r} in repository {self.id[:8]}")
        if len(matches) > 1:
            raise BkctlError(f"recovery point prefix {prefix!r} is ambiguous "
                             f"({len(matches)} matches)", hint="give more characters")
        return matches[0]

    def commit_point(self, point: PointInfo) -> None:
        """Write the point document: the last write of a backup."""
        raw = encode_point(self.key, point)
        self.store.put(f"points/{point.id}", raw)
        self.cache.put(f"points/{point.id}", raw)

    def delete_points(self, ids: list[str]) -> None:
        with self.lock(exclusive=True):
            for point_id in ids:
                point = self.get_point(point_id)
                self.store.delete(f"points/{point.id}")
                self.cache.delete(f"points/{point.id}")
                self.cache.delete(f"files/{point.id}")

    # -- keys -------------------------------------------------------------------------
    def add_key(self, new: Secret, kdf: KdfParams | None = None) -> str:
        return keyring.add_key(self.store, self.key, new, kdf)

    def list_keys(self) -> list[KeyInfo]:
        return keyring.list_keys(self.store)

    def remove_key(self, key_id: str) -> None:
        keyring.remove_key(self.store, key_id, self.key_id)

    def change_passphrase(self, new: Secret, kdf: KdfParams | None = None) -> None:
        """Add a key for ``new`` first, then drop the old one: never zero keys."""
        old = self.key_id
        self.key_id = keyring.add_key(self.store, self.key, new, kdf)
        self.store.delete(f"keys/{old}")

