"""Saving blobs concurrently: dedup, compress, seal, gather into packs, upload.

Worker threads call :meth:`BlobWriter.save` (BLAKE3, zstd and AES-GCM all release the
GIL, so this scales with cores). Finished packs go to uploader threads (the store's
``parallel_puts``: one for a local disk, two for an object store, where uploads wait on
round trips) through a queue of one. Packs are spooled to temporary files
(:mod:`bkctl.repo.pack`), so the queue bounds disk space in ``TMPDIR``, not memory; an object
store's upload reads one pack per uploader. Entries join the index only once their pack is
stored, and :meth:`flush` writes them as an index object: data first,
index second, recovery point last. Long backups also write an index object every
``CHECKPOINT_PACKS`` packs or ``CHECKPOINT_ENTRIES`` blobs, so a crash does not make the next
run upload everything again, and the entries waiting for an index object stay few (a
backup of 50,000 small files fills only a few packs).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from bkctl.errors import BkctlError
from bkctl.repo.crashpoints import crash_point
from bkctl.repo.crypto import BlobCipher, MasterKey, compress, compress_many
from bkctl.repo.index import Index, encode_index, new_index_name
from bkctl.repo.pack import FinishedPack, IndexEntry, PackBuilder
from bkctl.store.base import BlobStore

__all__ = ["CHECKPOINT_ENTRIES", "CHECKPOINT_PACKS", "BlobWriter", "SaveResult", "blob_associated_data"]

CHECKPOINT_PACKS = 32  # an index object every 32 packs (about 512 MiB) during long backups
CHECKPOINT_ENTRIES = 20_000  # ... or every 20,000 blobs, which small files reach in a few packs


def blob_associated_data(kind: str, blob_id: bytes) -> bytes:
    """GCM associated data binding a sealed blob to its kind and id."""
    return kind.encode() + blob_id


@dataclass(frozen=True, slots=True)
class SaveResult:
    blob_id: bytes
    new: bool
    stored_length: int


class BlobWriter:
    def __init__(self, store: BlobStore, key: MasterKey, index: Index, cipher: BlobCipher | None = None,
                 sign: Callable[[str, bytes], bytes] | None = None) -> None:
        self._store = store
        self._sign = sign  # an owner's or manager's signature on its index objects (format 3)
        self._key = key  # seals pack headers
        self._cipher: BlobCipher = cipher or key  # seals blobs and keys their ids
        self._index = index
        self._builder = PackBuilder()
        self._builder_lock = threading.Lock()
        self._queue: queue.Queue[FinishedPack | None] = queue.Queue(maxsize=1)
        self._unsaved: list[tuple[bytes, IndexEntry]] = []
        self._unsaved_packs = 0
        self._failure: BaseException | None = None
        self._uploaders: list[threading.Thread] = []
        self._uploader_lock = threading.Lock()  # workers race to start the uploaders
        self._stored_lock = threading.Lock()  # uploaders record stored packs and write checkpoints

    def save(self, kind: str, data: bytes | memoryview, compression: int | None) -> SaveResult:
        """Store ``data`` unless a blob with its id exists; thread-safe."""
        blob_id = self._cipher.blob_id(data)
        if not self._index.claim(blob_id):
            return SaveResult(blob_id, False, 0)
        self._raise_failure()
        sealed = self._cipher.seal_blob(kind, blob_id, compress(data, compression))
        self._append(kind, [(blob_id, sealed, len(data))])
        return SaveResult(blob_id, True, len(sealed))

    def save_many(self, kind: str, datas: list[bytes], compression: int | None) -> list[SaveResult]:
        """:meth:`save` for a batch of small blobs, as one unit of work per batch.

        Many small files cost more in per-blob overhead than in hashing or compressing:
        a claim lock, a builder lock, a spool write and a pack-hash update each, and every
        one of them a hand-off of the GIL between busy threads. Here the claims take one
        lock, and the sealed blobs reach the pack in one locked append (one write, one
        hash update). Results are in input order; a repeat within the batch is not new.
        """
        ids = [self._cipher.blob_id(data) for data in datas]
        claimed = self._index.claim_many(ids)
        self._raise_failure()
        fresh = [(blob_id, data) for blob_id, data, new in zip(ids, datas, claimed, strict=True) if new]
        payloads = compress_many([data for _, data in fresh], compression)
        sealed: list[tuple[bytes, bytes, int]] = [
            (blob_id, self._cipher.seal_blob(kind, blob_id, payload), len(data))
            for (blob_id, data), payload in zip(fresh, payloads, strict=True)]
        if sealed:
            self._append(kind, sealed)
        lengths = iter(len(blob) for _, blob, _ in sealed)
        return [SaveResult(blob_id, new, next(lengths) if new else 0)
                for blob_id, new in zip(ids, claimed, strict=True)]

    def _append(self, kind: str, sealed: list[tuple[bytes, bytes, int]]) -> None:
        """Add sealed blobs to the open pack; a pack that is full goes to the uploaders."""
        finished = None
        with self._builder_lock:
            self._builder.add_many(kind, sealed)
            if self._builder.full():
                finished = self._builder.finish(self._key)
                self._builder = PackBuilder()
        if finished is not None:
            self._enqueue(finished)

    def flush(self) -> None:
        """Upload the open pack, wait for uploads, write one index object for them."""
        with self._builder_lock:
            finished = self._builder.finish(self._key) if self._builder.blobs else None
            self._builder = PackBuilder()
        if finished is not None:
            self._enqueue(finished)
        self._stop_uploader()
        self._raise_failure()
        self._write_index()

    def abort(self) -> None:
        """Drop unfinished work after a failure so a later backup stores those chunks.

        Packs stored but not yet indexed are deleted: nothing can reference them (no
        index lists them, no other process can find them), and on a full disk they are
        most of what the failed run wrote. Packs already named by a checkpoint index
        stay; a later run reuses them or a reclaim removes them.
        """
        with self._builder_lock:
            self._builder.discard()
            self._builder = PackBuilder()
        self._stop_uploader()
        self._failure = None
        orphans = {entry.pack for _, entry in self._unsaved}
        self._unsaved, self._unsaved_packs = [], 0
        for pack in sorted(orphans):
            try:
                self._store.delete(pack)
            except BkctlError:
                continue  # best effort: a reclaim removes what is left
        self._index.discard_packs(orphans)
        self._index.release_claims()

    def _enqueue(self, pack: FinishedPack) -> None:
        with self._uploader_lock:
            if not self._uploaders:
                self._uploaders = [threading.Thread(target=self._upload_loop, name=f"bkctl-upload-{n}", daemon=True)
                                   for n in range(max(1, self._store.parallel_puts))]
                for uploader in self._uploaders:
                    uploader.start()
        while True:
            self._raise_failure()
            try:
                self._queue.put(pack, timeout=0.2)
                return
            except queue.Full:
                continue

    def _stop_uploader(self) -> None:
        with self._uploader_lock:
            uploaders, self._uploaders = self._uploaders, []
        for _ in uploaders:
            self._queue.put(None)
        for uploader in uploaders:
            uploader.join()

    def _upload_loop(self) -> None:
        while (pack := self._queue.get()) is not None:
            if self._failure is not None:
                pack.close()
                continue  # drain so producers never block on a dead uploader
            try:
                pack.store(self._store)
                crash_point("after-pack-upload")
                with self._stored_lock:
                    self._index.add(pack.entries)
                    self._unsaved.extend(pack.entries)
                    self._unsaved_packs += 1
                    if self._unsaved_packs >= CHECKPOINT_PACKS or len(self._unsaved) >= CHECKPOINT_ENTRIES:
                        self._write_index()
            except BaseException as exc:  # re-raised in the caller's thread
                self._failure = exc

    def _write_index(self) -> None:
        """Index the stored packs so an interrupted backup's data is reused next time."""
        if self._unsaved:
            name = new_index_name()
            raw = encode_index(self._key, self._unsaved)
            self._store.put(name, self._sign(name, raw) if self._sign is not None else raw)
            self._index.objects.add(name)  # our own object: a refresh need not read it back
            crash_point("after-index-write")
        self._unsaved = []
        self._unsaved_packs = 0

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure
