"""Headless Chromium for tests: render a page, take a screenshot, read the DOM and the console.

Debian's ``chromium`` package (.ci/run installs it). The flags keep it off the network and
away from any profile: no background networking, component updates, sync or first-run
work, and an empty ``--user-data-dir`` per call. Console messages (``console.error``,
uncaught exceptions, failed loads) are read from Chromium's own log on stderr, where
``--enable-logging=stderr`` writes them as ``CONSOLE`` lines.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from objstore import require

__all__ = ["Rendered", "render_page"]

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--enable-logging=stderr", "--v=0",
         "--hide-scrollbars")


@dataclass(frozen=True)
class Rendered:
    dom: str
    console: list[str]
    screenshot: Path


def _chromium() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        require("chromium is not installed (apt-get install chromium)")
    assert binary is not None
    return binary


def _run(page: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="bkctl-chromium-") as profile:
        return subprocess.run([_chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=120, check=False)


def render_page(page: Path, screenshot: Path, *, width: int = 1280, height: int = 1600) -> Rendered:
    """The page's DOM after loading, its console messages, and a PNG screenshot."""
    shot = _run(page, f"--window-size={width},{height}", f"--screenshot={screenshot}")
    dump = _run(page, "--dump-dom")
    assert dump.returncode == 0, dump.stderr[-2000:]
    console = [line for line in (shot.stderr + dump.stderr).splitlines() if ":CONSOLE" in line]
    return Rendered(dump.stdout, console, screenshot)
