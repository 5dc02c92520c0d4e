"""What a replica already received from a source: ``copymaps/<source id>/<32 hex>`` objects.

Chunk ids are keyed with each repository's own secret, so a replica cannot tell from a
source chunk's id whether it holds that chunk; without help, every copy reads and decrypts
every chunk of every new point, even when the point changed nothing. Each copy therefore
records the pairs (source chunk id, replica chunk id) it stored or found, sealed with the
replica's key and bound to the source's repository id. The next copy trusts a pair only while
the replica's index still holds the replica id (the same test ``save_blob`` deduplicates by),
so a pruned and reclaimed chunk is read and stored again, never assumed.

Objects are written after the points they served are committed: a copy that dies earlier
leaves no pairs and the next one reads those chunks again. Bounded like run records: past
``COMPACT_AT`` objects a writer folds them into one, writes it, then deletes what it folded;
a crash in between leaves duplicate pairs, which are harmless.
"""

from __future__ import annotations

import secrets

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.repository import Repository

__all__ = ["read_copy_map", "append_copy_map", "COMPACT_AT"]

PREFIX = "copymaps/"
COMPACT_AT = 16
"""Objects per source before a writer compacts them (one per copy run that stored data)."""
_ID = 32  # bytes of a blob id


def _prefix(source_id: str) -> str:
    return f"{PREFIX}{source_id}/"


def _associated(source_id: str) -> bytes:
    return b"bkctl-copymap:" + source_id.encode()


def read_copy_map(replica: Repository, source_id: str) -> dict[bytes, bytes]:
    """Source chunk id -> replica chunk id, as recorded by earlier copies (damaged objects skipped)."""
    loaded = replica.load_objects(_prefix(source_id), lambda name, raw: _decode(replica, source_id, name, raw))
    pairs: dict[bytes, bytes] = {}
    for part in loaded.values():
        pairs.update(part)
    return pairs


def append_copy_map(replica: Repository, source_id: str, pairs: dict[bytes, bytes]) -> None:
    """Record ``pairs`` (all already indexed in ``replica``); compact once objects pile up."""
    if not pairs:
        return
    _write(replica, source_id, pairs)
    names = sorted(replica.store.list(_prefix(source_id)))
    if len(names) > COMPACT_AT:
        loaded = replica.load_objects(_prefix(source_id), lambda name, raw: _decode(replica, source_id, name, raw),
                                      names=names)
        folded: dict[bytes, bytes] = {}
        for part in loaded.values():
            folded.update(part)
        _write(replica, source_id, folded)
        for name in loaded:
            replica.store.delete(name)
            replica.cache.delete(name)


def _write(replica: Repository, source_id: str, pairs: dict[bytes, bytes]) -> None:
    body = b"".join(source + target for source, target in pairs.items())
    replica.store.put(f"{_prefix(source_id)}{secrets.token_hex(16)}",
                      replica.key.seal(body, _associated(source_id)))


def _decode(replica: Repository, source_id: str, name: str, raw: bytes) -> dict[bytes, bytes]:
    body = replica.key.open(raw, _associated(source_id), what=f"copy map {name}")
    if len(body) % (2 * _ID):
        raise RepositoryCorruptError(f"copy map {name} has a torn pair")
    return {body[at:at + _ID]: body[at + _ID:at + 2 * _ID] for at in range(0, len(body), 2 * _ID)}
