"""Sealing blobs: zstd compression then AES-256-GCM, with the blob id as associated data.

Binding the id (and kind) into the GCM tag means a blob copied to another place in the
repository, or swapped with another, fails authentication instead of restoring the
wrong bytes. A sealed blob is ``nonce(12) || ciphertext || tag(16)``.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import blake3
import zstandard
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bkctl.errors import RepositoryCorruptError

__all__ = ["BlobCipher", "MasterKey", "NONCE_SIZE", "OVERHEAD", "compress", "decompress"]

NONCE_SIZE = 12
OVERHEAD = NONCE_SIZE + 16


@dataclass(frozen=True)
class MasterKey:
    """The repository secrets, identical in every key object.

    ``encryption`` seals blobs and documents; ``identity`` keys the BLAKE3 chunk ids so
    they reveal nothing about content; ``chunker_seed`` perturbs the chunk boundaries so
    chunk sizes do not fingerprint known files.
    """

    encryption: bytes
    identity: bytes
    chunker_seed: int

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(os.urandom(32), os.urandom(32), int.from_bytes(os.urandom(7), "big") | 1)

    @cached_property
    def _aead(self) -> AESGCM:
        """Built once (key schedule); AESGCM keeps no per-call state, so threads share it."""
        return AESGCM(self.encryption)

    def blob_id(self, data: bytes | memoryview) -> bytes:
        """Keyed BLAKE3 of the plaintext: the chunk id (32 bytes)."""
        return blake3.blake3(data, key=self.identity).digest()

    def seal(self, plaintext: bytes | memoryview, associated: bytes = b"") -> bytes:
        nonce = os.urandom(NONCE_SIZE)
        return nonce + self._aead.encrypt(nonce, plaintext, associated or None)

    def open(self, sealed: bytes | memoryview, associated: bytes = b"", what: str = "") -> bytes:
        """Authenticate and decrypt; any tampering raises RepositoryCorruptError."""
        if len(sealed) < OVERHEAD:
            raise RepositoryCorruptError(f"{what or 'object'} is truncated")
        view = memoryview(sealed)
        try:
            return self._aead.decrypt(view[:NONCE_SIZE], view[NONCE_SIZE:],
                                                    associated or None)
        except InvalidTag:
            raise RepositoryCorruptError(
                f"{what or 'object'} failed authentication (damaged or tampered)",
                hint="run 'verify' to list the affected recovery points",
            ) from None


    def with_fallbacks(self, older: tuple[MasterKey, ...]) -> MasterKey:
        """This key, which also opens (never seals) what ``older`` keys sealed: during a rotation."""
        return _RotatingKey(self.encryption, self.identity, self.chunker_seed, older)

    # -- the blob cipher of a format 2 repository (bkctl.repo.roles.SessionCipher in format 3) --
    def seal_blob(self, kind: str, blob_id: bytes, payload: bytes | memoryview) -> bytes:
        return self.seal(payload, kind.encode() + blob_id)

    def open_payload(self, kind: str, blob_id: bytes, sealed: bytes | memoryview, what: str) -> bytes:
        """Decrypt only: the stored payload, compressed or not (tape re-seals it as it is)."""
        return self.open(sealed, kind.encode() + blob_id, what)

    def open_blob(self, kind: str, blob_id: bytes, sealed: bytes | memoryview, raw_length: int, what: str) -> bytes:
        """Decrypt, decompress and check the id; damage raises RepositoryCorruptError."""
        plain = decompress(self.open(sealed, kind.encode() + blob_id, what), raw_length)
        if self.blob_id(plain) != blob_id:
            raise RepositoryCorruptError(f"{what} does not match its id")
        return plain

    def can_read(self, kind: str) -> bool:
        return True

    def new_session(self) -> None:
        """Nothing to renew: a format 2 repository seals every blob with the master key."""


@dataclass(frozen=True)
class _RotatingKey(MasterKey):
    older: tuple[MasterKey, ...] = ()

    def open(self, sealed: bytes | memoryview, associated: bytes = b"", what: str = "") -> bytes:
        try:
            return super().open(sealed, associated, what)
        except RepositoryCorruptError:
            for key in self.older:
                try:
                    return key.open(sealed, associated, what)
                except RepositoryCorruptError:
                    continue
            raise


class BlobCipher(Protocol):
    """Seals and opens data and tree blobs: the master key (format 2) or a role's sessions (format 3)."""

    def blob_id(self, data: bytes | memoryview) -> bytes: ...

    def seal_blob(self, kind: str, blob_id: bytes, payload: bytes | memoryview) -> bytes: ...

    def open_payload(self, kind: str, blob_id: bytes, sealed: bytes | memoryview, what: str) -> bytes: ...

    def open_blob(self, kind: str, blob_id: bytes, sealed: bytes | memoryview, raw_length: int,
                  what: str) -> bytes: ...

    def can_read(self, kind: str) -> bool: ...

    def new_session(self) -> None: ...


def compress(data: bytes | memoryview, level: int | None) -> bytes | memoryview:
    """zstd at ``level``; return the input unchanged when off or when it does not shrink.

    Readers tell the two apart by length: compressed output is always strictly shorter
    than the raw length recorded in the index.
    """
    if not level:
        return data
    packed = _compressor(level).compress(data)
    return packed if len(packed) < len(data) else data


def compress_many(datas: list[bytes], level: int | None) -> list[bytes]:
    """:func:`compress` for a batch in one call into zstd (one hand-off of the GIL per
    batch instead of per blob, which is what many small files pay for between busy threads)."""
    if not level or not datas:
        return list(datas)
    compressor = _compressor(level)
    if not hasattr(compressor, "multi_compress_to_buffer"):  # the C backend's; not in cffi builds
        return [bytes(compress(data, level)) for data in datas]
    inputs: list[bytes | bytearray | memoryview] = list(datas)
    packed = compressor.multi_compress_to_buffer(inputs, threads=1)
    outputs = [packed[position].tobytes() for position in range(len(datas))]
    return [out if len(out) < len(data) else data for out, data in zip(outputs, datas, strict=True)]


_local = threading.local()


def _compressor(level: int) -> zstandard.ZstdCompressor:
    """One compression context per thread and level: a fresh context allocates and
    clears its tables (several MiB at level 3) on every call, which costs more than
    compressing a small file. The objects are not thread-safe, hence per thread."""
    compressors: dict[int, zstandard.ZstdCompressor] | None = getattr(_local, "compressors", None)
    if compressors is None:
        compressors = _local.compressors = {}
    compressor = compressors.get(level)
    if compressor is None:
        compressor = compressors[level] = zstandard.ZstdCompressor(level=level)
    return compressor


def _decompressor() -> zstandard.ZstdDecompressor:
    """One decompression context per thread (creating one per blob costs more than small
    blobs take to decompress; the objects are not thread-safe)."""
    decompressor = getattr(_local, "decompressor", None)
    if decompressor is None:
        decompressor = _local.decompressor = zstandard.ZstdDecompressor()
    return decompressor


def decompress(data: bytes, raw_length: int) -> bytes:
    if len(data) == raw_length:
        return data
    try:
        return _decompressor().decompress(data, max_output_size=raw_length)
    except zstandard.ZstdError as exc:
        raise RepositoryCorruptError(f"blob does not decompress: {exc}") from None
