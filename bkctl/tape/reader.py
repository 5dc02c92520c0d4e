"""Reading points back: which cartridges a restore needs, and copying a point into a repository.

A point copied back from tape becomes an ordinary repository point (packs, index, point
document, same id, time and workload), so bkctl's restorer handles it like any other:
restoring files or a database from tape is "copy into a staging repository, restore from
there". An incremental is copied with its base chain, oldest first (see
:func:`copy_to_repository`). Blobs are authenticated with the library key, re-hashed to check their ids, then
saved with the destination's key; trees are rewritten bottom-up with the destination's
ids, as :mod:`bkctl.repo.copy` does between repositories.

Each cartridge of the restore map is loaded once and read front to back from the
point's header; an off-site cartridge stops the restore before anything is loaded, with
:class:`~bkctl.errors.MediaOffsiteError` naming it and its vault.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from bkctl.errors import MediaOffsiteError, NotFoundError, RepositoryCorruptError
from bkctl.repo.blobs import blob_associated_data
from bkctl.repo.crypto import MasterKey, decompress
from bkctl.repo.points import PointInfo
from bkctl.repo.repository import Repository
from bkctl.repo.tree import decode_tree, encode_tree
from bkctl.tape.catalog import CatalogPoint, Part, SetCatalog, base_chain, point_info
from bkctl.tape.changer import Changer
from bkctl.tape.documents import open_document, read_document
from bkctl.tape.positions import locate_file
from bkctl.tape.rekey import rewrite_node
from bkctl.tape.stream import StreamReader

__all__ = ["MediaNeed", "TapeVerifyResult", "copy_to_repository", "find_point", "require_onsite", "restore_map",
           "verify_point"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class MediaNeed:
    """One cartridge a restore reads, where it is now, and how long fetching it takes."""

    barcode: str
    location: str
    recall_seconds: int = 0

    @property
    def offsite(self) -> bool:
        return self.location.startswith("vault:")


def find_point(catalogs: Mapping[str, SetCatalog], point_id: str) -> tuple[SetCatalog, CatalogPoint]:
    """The point with this id (or unique prefix) and its media set."""
    matches = [(c, p) for c in catalogs.values() for p in c.points if p.id.startswith(point_id)]
    ids = {p.id for _, p in matches}
    if len(ids) != 1:
        raise NotFoundError(f"no recovery point {point_id!r} on tape" if not ids else
                            f"recovery point prefix {point_id!r} is ambiguous on tape")
    return matches[0]


def restore_map(changer: Changer, catalogs: Mapping[str, SetCatalog], point_id: str) -> list[MediaNeed]:
    """Every cartridge the point needs, in reading order, each once (the bootstrap of a restore).

    An incremental needs its whole base chain, read oldest first.
    """
    catalog, point = find_point(catalogs, point_id)
    barcodes = list(dict.fromkeys(c for p in base_chain(catalog, point) for c in p.cartridges()))
    return [_need(changer, barcode) for barcode in barcodes]


def _need(changer: Changer, barcode: str) -> MediaNeed:
    location = changer.location(barcode)
    vault = changer.description.vaults.get(location.removeprefix("vault:"))
    return MediaNeed(barcode, location, vault.recall_seconds if location.startswith("vault:") and vault else 0)


def require_onsite(needs: list[MediaNeed]) -> None:
    """Refuse (exit 73) when any needed cartridge is off-site, naming every one of them."""
    away = [n for n in needs if n.offsite]
    if away:
        names = ", ".join(f"{n.barcode} ({n.location})" for n in away)
        raise MediaOffsiteError(f"the restore needs cartridge(s) that are off-site: {names}",
                                barcodes=tuple(n.barcode for n in away),
                                vaults=tuple(n.location.removeprefix("vault:") for n in away),
                                hint="recall them and run `bkctl tape import`, then restore again")


def copy_to_repository(changer: Changer, key: MasterKey, catalogs: Mapping[str, SetCatalog], point_id: str,
                       destination: Repository, *, compression: int | None = 3) -> PointInfo:
    """Copy a tape point into ``destination``; idempotent (a point it lists is left alone).

    An incremental reads its chain oldest first: the data chunks of every point of the
    chain are saved, the trees only from the point's own stream (they name every chunk
    the point uses, whichever stream of the chain holds it).
    """
    catalog, entry = find_point(catalogs, point_id)
    chain = base_chain(catalog, entry)
    require_onsite(restore_map(changer, catalogs, entry.id))
    point = replace(point_info(entry.document), root="")
    with destination.session():
        present = {p.id: p for p in destination.list_points()}
        if entry.id in present:
            return present[entry.id]
        with changer.session():
            chunks: dict[str, str] = {}
            for base in chain[:-1]:
                _copy_stream(changer, key, base, lambda blobs: _save_chunks(blobs, destination, compression, chunks))
            root, references = _copy_stream(changer, key, entry,
                                            lambda blobs: _copy_blobs(blobs, destination, compression, chunks))
            destination.flush()
        copied = replace(point, root=root.get(entry.document["root"], ""))
        destination.commit_point(copied, references)
    return copied


def _copy_stream(changer: Changer, key: MasterKey, entry: CatalogPoint,
                 copy: Callable[[Iterator[tuple[str, bytes, bytes]]], _T]) -> _T:
    """Run ``copy`` over the checked blobs of one point's stream, then unload its last cartridge."""
    blocks = _stream_blocks(changer, key, entry)
    try:
        return copy(_checked_blobs(key, blocks))
    finally:
        blocks.close()


def _stream_blocks(changer: Changer, key: MasterKey, entry: CatalogPoint) -> Generator[bytes, None, None]:
    for number, part in enumerate(entry.parts):
        with changer.loaded(part.cartridge) as drive:
            locate_file(drive, part.file)
            _, payload = read_document(drive)
            header = open_document(key, "header", payload, f"on {part.cartridge}")
            _check_header(header, entry, part, number)
            drive.space_filemarks(1)
            while (block := drive.read_block()) is not None:
                yield block


def _check_header(header: dict[str, object], entry: CatalogPoint, part: Part, number: int) -> None:
    if (header.get("point"), header.get("part"), header.get("stream_start")) != (entry.id, number, part.stream_start):
        raise RepositoryCorruptError(f"cartridge {part.cartridge} file {part.file} is not part {number} of "
                                     f"point {entry.id}", hint="the catalog is out of date: run `bkctl tape scan`")


def _checked_blobs(key: MasterKey, blocks: Iterator[bytes]) -> Iterator[tuple[str, bytes, bytes]]:
    """``(kind, tape id, plaintext)`` of every blob, authenticated and re-hashed; the trailer's count checked."""
    for count, record in enumerate(StreamReader(key, blocks).records()):
        if record.kind == b"T":
            if record.raw_length != count:
                raise RepositoryCorruptError(f"trailer counts {record.raw_length} blobs, the stream held {count}")
            return
        kind = record.kind.decode()
        plain = decompress(key.open(record.sealed, blob_associated_data(kind, record.blob_id),
                                    what=f"tape blob {record.blob_id.hex()}"), record.raw_length)
        if key.blob_id(plain) != record.blob_id:
            raise RepositoryCorruptError(f"tape blob {record.blob_id.hex()} does not match its id")
        yield kind, record.blob_id, plain


def _save_chunks(blobs: Iterator[tuple[str, bytes, bytes]], destination: Repository, compression: int | None,
                 chunks: dict[str, str]) -> None:
    """A base of the chain: save its data chunks (tape id -> new id into ``chunks``), skip its trees."""
    for kind, blob_id, plain in blobs:
        if kind == "d":
            chunks[blob_id.hex()] = destination.save_blob("d", plain, compression).blob_id.hex()


def _copy_blobs(blobs: Iterator[tuple[str, bytes, bytes]], destination: Repository, compression: int | None,
                chunks: dict[str, str]) -> tuple[dict[str, str], set[bytes]]:
    """Save data as it streams by, keep trees, then save trees bottom-up.

    ``chunks`` already holds the chunks of the bases. Returns tape tree id -> new id, and
    the new ids of the trees and of every chunk they name (what the commit checks is stored).
    """
    trees: list[tuple[str, bytes]] = []
    for kind, blob_id, plain in blobs:
        if kind == "t":
            trees.append((blob_id.hex(), plain))
        else:
            chunks[blob_id.hex()] = destination.save_blob("d", plain, compression).blob_id.hex()
    new_trees: dict[str, str] = {}
    used: set[str] = set()
    for tree_id, plain in reversed(trees):  # trees came root first: reversed, children come first
        nodes = decode_tree(plain, tree_id)
        named = {c for node in nodes for c in node.get("content", ())}
        missing = named - chunks.keys()
        if missing:
            raise RepositoryCorruptError(f"tape tree {tree_id} names {len(missing)} chunk(s) that neither the point "
                                         f"nor its base chain holds (e.g. {min(missing)})")
        used |= named
        nodes = [rewrite_node(node, chunks, new_trees) for node in nodes]
        new_trees[tree_id] = destination.save_blob("t", encode_tree(nodes), compression).blob_id.hex()
    references = [*(chunks[c] for c in used), *new_trees.values()]
    return new_trees, {bytes.fromhex(blob_id) for blob_id in references}


@dataclass(frozen=True)
class TapeVerifyResult:
    point: str
    blobs: int
    bytes: int
    cartridges: tuple[str, ...]


def verify_point(changer: Changer, key: MasterKey, catalogs: Mapping[str, SetCatalog],
                 point_id: str) -> TapeVerifyResult:
    """Re-read a point from its cartridges and authenticate every blob (damage raises, exit 67)."""
    _, entry = find_point(catalogs, point_id)
    require_onsite(restore_map(changer, catalogs, entry.id))
    count = size = 0
    with changer.session():
        blocks = _stream_blocks(changer, key, entry)
        try:
            for _, _, plain in _checked_blobs(key, blocks):
                count, size = count + 1, size + len(plain)
        finally:
            blocks.close()
    if count != entry.blobs:
        raise RepositoryCorruptError(f"tape point {entry.id} holds {count} blobs, its catalog says {entry.blobs}")
    return TapeVerifyResult(entry.id, count, size, tuple(entry.cartridges()))
