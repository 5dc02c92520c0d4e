"""Sealing and compression: tampering and misplacement are detected."""

from __future__ import annotations

import os

import pytest

from bkctl.errors import RepositoryCorruptError
from bkctl.repo.crypto import MasterKey, compress, decompress


def test_sealed_data_opens_only_with_the_same_associated_data():
    key = MasterKey.generate()
    sealed = key.seal(b"payload", b"d" + b"\x01" * 32)
    assert key.open(sealed, b"d" + b"\x01" * 32) == b"payload"
    with pytest.raises(RepositoryCorruptError):
        key.open(sealed, b"d" + b"\x02" * 32)


def test_a_flipped_bit_fails_authentication():
    key = MasterKey.generate()
    sealed = bytearray(key.seal(b"payload"))
    sealed[15] ^= 0x80
    with pytest.raises(RepositoryCorruptError, match="authentication"):
        key.open(bytes(sealed))
    with pytest.raises(RepositoryCorruptError, match="truncated"):
        key.open(bytes(sealed[:10]))


def test_blob_ids_are_keyed_per_repository():
    assert MasterKey.generate().blob_id(b"x") != MasterKey.generate().blob_id(b"x")


def test_incompressible_data_is_stored_raw_and_compressible_data_shrinks():
    noise = os.urandom(10_000)
    assert compress(noise, 3) is noise
    text = b"abc" * 10_000
    packed = compress(text, 3)
    assert len(packed) < len(text)
    assert decompress(bytes(packed), len(text)) == text
    assert compress(text, None) is text and compress(text, 0) is text
