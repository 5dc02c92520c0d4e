"""Content-defined chunking (FastCDC through pyfastcdc's C implementation).

Average 1 MiB, bounds 256 KiB and 4 MiB: large enough that per-chunk Python overhead
and index size stay small (a 1 TiB repository has about a million index entries), small
enough that an edit in a large file re-stores only a few MiB. Boundaries depend on a
per-repository seed so chunk sizes do not reveal which known files are stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from pyfastcdc import FastCDC

__all__ = ["AVERAGE_SIZE", "MAXIMUM_SIZE", "MINIMUM_SIZE", "Chunker"]

AVERAGE_SIZE = 1 << 20
MINIMUM_SIZE = 256 << 10
MAXIMUM_SIZE = 4 << 20


class Chunker:
    """Cuts a binary stream into chunks with bounded memory (about 2 x MAXIMUM_SIZE)."""

    def __init__(self, seed: int = 0) -> None:
        self._cdc = FastCDC(AVERAGE_SIZE, min_size=MINIMUM_SIZE, max_size=MAXIMUM_SIZE,
                            seed=seed)

    def chunks(self, stream: BinaryIO) -> Iterator[bytes]:
        """Yield each chunk as its own ``bytes``.

        pyfastcdc reuses its buffer between chunks, so the copy is what makes handing a
        chunk to a worker thread safe.
        """
        for chunk in self._cdc.cut_stream(stream):
            yield bytes(chunk.data)
