"""The engine's threads share two malloc arenas, so memory one thread frees another reuses."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc arenas are glibc's")

COUNT_ARENAS = """
import ctypes, sys, threading
from pathlib import Path
from bkctl.repo import KdfParams, Repository
from bkctl.secrets import Secret
from bkctl.store import MemoryStore

if sys.argv[1] == "open":
    Repository.init(MemoryStore(), Secret("pw"), kdf=KdfParams.fast(), cache_dir=Path(sys.argv[2]))
start = threading.Barrier(6)

def allocate() -> None:
    start.wait()
    held = [bytearray(100_000) for _ in range(50)]  # below the mmap threshold: from an arena
    del held

threads = [threading.Thread(target=allocate) for _ in range(6)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
report = Path(sys.argv[2]) / "malloc.xml"
stream = libc.fopen(str(report).encode(), b"w")
libc.malloc_info(0, stream)
libc.fclose(stream)
print(report.read_text().count("<heap nr="))
"""


def arenas_after_threads(tmp_path: Path, first: str) -> int:
    done = subprocess.run([sys.executable, "-c", COUNT_ARENAS, first, str(tmp_path)], capture_output=True,
                          text=True, check=True)
    return int(done.stdout.split()[-1])


def test_threads_started_after_a_repository_is_opened_share_two_arenas(tmp_path):
    assert arenas_after_threads(tmp_path, "open") <= 2


def test_without_the_engine_glibc_gives_such_threads_arenas_of_their_own(tmp_path):
    assert arenas_after_threads(tmp_path, "plain") > 2  # what the cap saves: the check above can fail
