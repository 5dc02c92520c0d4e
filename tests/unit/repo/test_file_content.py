"""Any byte range of a stored file, plain or sparse, equals the same range of the original."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from point_trees import file_node

from bkctl.errors import RepositoryCorruptError
from bkctl.repo import KdfParams, Repository
from bkctl.repo.file_content import FileContent
from bkctl.secrets import Secret
from bkctl.store import MemoryStore


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repository:
    cache = tmp_path_factory.mktemp("cache")
    return Repository.init(MemoryStore(), Secret("pw"), kdf=KdfParams.fast(), cache_dir=cache)


def sparse_file(extents: list[tuple[int, int]], size: int, seed: int) -> tuple[bytes, bytes]:
    """(the whole file with zero holes, its data regions concatenated)."""
    whole = bytearray(size)
    data = b""
    for number, (offset, length) in enumerate(extents):
        region = bytes((seed + number + i) % 251 + 1 for i in range(length))
        whole[offset:offset + length] = region
        data += region
    return bytes(whole), data


@st.composite
def layouts(draw: st.DrawFn) -> tuple[list[tuple[int, int]], int, list[int]]:
    """Extents (ascending, disjoint), the file size, and where the data stream is cut into chunks."""
    extents, offset = [], draw(st.integers(0, 50))
    for _ in range(draw(st.integers(0, 5))):
        length = draw(st.integers(1, 60))
        extents.append((offset, length))
        offset += length + draw(st.integers(0, 40))
    size = offset + draw(st.integers(0, 30))
    total = sum(length for _, length in extents)
    cuts = sorted(set(draw(st.lists(st.integers(1, max(total - 1, 1)), max_size=6)))) if total > 1 else []
    return extents, size, cuts


@settings(max_examples=150, deadline=None)
@given(layout=layouts(), offset=st.integers(0, 500), length=st.integers(0, 500), seed=st.integers(0, 250))
def test_a_sparse_file_reads_back_with_zero_holes(repo: Repository, layout, offset: int, length: int,
                                                  seed: int) -> None:
    extents, size, cuts = layout
    whole, data = sparse_file(extents, size, seed)
    chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True) if data[a:b]]
    with repo.session():
        node = file_node(repo, "disk.img", chunks, size=size, extents=extents)
        repo.flush()
    assert FileContent(repo, node).read(offset, length) == whole[offset:offset + length]


def test_reads_across_chunk_borders_and_past_the_end(repo: Repository) -> None:
    chunks = [b"a" * 100, b"b" * 50, b"c" * 70]
    with repo.session():
        node = file_node(repo, "f", chunks)
        repo.flush()
    content = FileContent(repo, node)
    whole = b"".join(chunks)
    assert content.read(90, 80) == whole[90:170]
    assert content.read(200, 100) == whole[200:] and content.read(220, 5) == b""


def test_damage_names_the_file(tmp_path: Path) -> None:
    repo = Repository.init(MemoryStore(), Secret("pw"), kdf=KdfParams.fast(), cache_dir=tmp_path / "cache")
    with repo.session():
        node = file_node(repo, "f", [b"precious" * 100])
        repo.flush()
    entry = repo.index.get(bytes.fromhex(node["content"][0]))
    packed = bytearray(repo.store.get(entry.pack))
    packed[entry.offset + 20] ^= 1
    repo.store.put(entry.pack, bytes(packed))
    with pytest.raises(RepositoryCorruptError, match="/etc/f in point"):
        FileContent(repo, node, what="/etc/f in point ab12cd34").read(0, 10)
