"""Image workloads: a disk/VM image file or a block device, read as one stream.

The repository chunks every stream with content-defined chunking (FastCDC, about 1 MiB
average), so a second backup of an image in which a few regions changed stores only the
chunks around those regions: measured in tests/integration/test_source_image.py, three
4 KiB edits in a 64 MiB random image store under 8 MiB of new data, instead of 64 MiB.

A running VM's image is only crash-consistent; use ``hooks.before`` to pause the guest or
take a snapshot (``virsh domfsfreeze``, ``lvcreate --snapshot``) and back up the snapshot.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bkctl.errors import BkctlError, NotFoundError
from bkctl.sources.base import Facts, Items, StreamItem

__all__ = ["ImageSource", "ImageReadError"]

READ_BUFFER = 8 << 20
"""Large sequential reads: block devices and network disks are far faster that way."""


class ImageReadError(BkctlError):
    reference = "image-read-failed"


@dataclass(frozen=True)
class ImageSource:
    """Streams one image file or block device into a recovery point named after it."""

    path: Path
    kind: str = "image"

    @contextmanager
    def open(self, workload: str) -> Iterator[Items]:
        """The image's bytes as one stream; an unreadable image commits nothing."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            raise NotFoundError(f"image {self.path} does not exist") from None
        except OSError as error:
            raise ImageReadError(f"cannot read image {self.path}: {error.strerror}") from None
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISBLK(info.st_mode)):
            raise ImageReadError(f"{self.path} is neither a regular file nor a block device")
        facts: Facts = {"path": str(self.path), "block_device": stat.S_ISBLK(info.st_mode)}
        try:
            with open(self.path, "rb", buffering=READ_BUFFER) as stream:
                if hasattr(os, "posix_fadvise"):
                    os.posix_fadvise(stream.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
                yield StreamItem(self.path.name or "image", stream, facts)
        except OSError as error:
            raise ImageReadError(f"cannot read image {self.path}: {error.strerror or error}") from None
