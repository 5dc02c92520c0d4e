"""``before``/``after`` hook commands around a backup (quiesce, flush, snapshot).

``after`` runs in a ``finally``, whether the backup worked or not; a failing ``before``
skips the backup. Hooks learn what they run for from the environment:
``BKCTL_WORKLOAD``, ``BKCTL_TARGET``, ``BKCTL_HOOK`` (before/after) and, for ``after``,
``BKCTL_STATUS`` (success/failure).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from bkctl.errors import BkctlError
from bkctl.model import Hooks

__all__ = ["HookFailedError", "run_hook", "hooks_around"]


class HookFailedError(BkctlError):
    reference = "hook-failed"


def run_hook(argv: list[str], *, timeout_seconds: float, env: dict[str, str], label: str) -> None:
    """Run one hook; a non-zero exit, a timeout or a missing program is a HookFailedError."""
    try:
        result = subprocess.run(argv, env={**os.environ, **env}, timeout=timeout_seconds,
                                stdin=subprocess.DEVNULL, capture_output=True, check=False)
    except FileNotFoundError:
        raise HookFailedError(f"{label} hook: {argv[0]} is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise HookFailedError(f"{label} hook {argv[0]!r} timed out after {timeout_seconds:g} s") from None
    if result.returncode != 0:
        tail = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise HookFailedError(f"{label} hook {argv[0]!r} exited with status {result.returncode}"
                              + (f": {tail[0]}" if tail[0] else ""))


@contextmanager
def hooks_around(hooks: Hooks | None, *, workload: str, target: str) -> Iterator[None]:
    """Run ``before``, the body, then ``after`` (always, even when the body failed)."""
    if hooks is None:
        yield
        return
    base = {"BKCTL_WORKLOAD": workload, "BKCTL_TARGET": target}
    timeout = hooks.timeout.fixed().total_seconds()
    if hooks.before:
        run_hook(hooks.before, timeout_seconds=timeout, env={**base, "BKCTL_HOOK": "before"},
                 label=f"workload '{workload}': before")
    status = "failure"
    try:
        yield
        status = "success"
    finally:
        if hooks.after:
            run_hook(hooks.after, timeout_seconds=timeout,
                     env={**base, "BKCTL_HOOK": "after", "BKCTL_STATUS": status},
                     label=f"workload '{workload}': after")
