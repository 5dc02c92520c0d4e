"""``bkctl mount WORKLOAD MOUNTPOINT``: browse a workload's points as a read-only file system.

Runs in the foreground until the file system is unmounted (``fusermount -u MOUNTPOINT``,
or Ctrl-C here). Needs FUSE: the kernel's ``/dev/fuse``, libfuse (the ``fuse3`` or
``fuse`` package) and the mfusepy bindings (a dependency of bkctl); when one is missing
the command exits 70 naming it. The repository's shared lock is held while mounted, so
a reclaim never deletes data a reader may still need (it waits, as for a restore).
See docs/browsing.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer

from bkctl import operations
from bkctl.cli.console import err
from bkctl.cli.mount_view import PointsView
from bkctl.cli.options import ManifestOption
from bkctl.errors import BkctlError, NotFoundError, ToolMissingError, UsageError
from bkctl.workspace import Workspace

__all__ = ["command", "fuse_problem"]

FUSE_DEVICE = "/dev/fuse"


def fuse_problem() -> str:
    """Why FUSE cannot be used here ("" when it can): what ``mount`` reports and tests skip on."""
    if not os.path.exists(FUSE_DEVICE):
        return f"{FUSE_DEVICE} is missing: this kernel or container offers no FUSE"
    if not os.access(FUSE_DEVICE, os.R_OK | os.W_OK):
        return f"{FUSE_DEVICE} is not readable and writable by this user"
    try:
        _bindings()
    except ToolMissingError as error:
        return error.message
    return ""


def _bindings() -> ModuleType:
    """mfusepy, loaded only here: it looks for libfuse when imported."""
    try:
        import mfusepy
    except ImportError:
        raise ToolMissingError("the mfusepy package is not installed", hint="pip install mfusepy") from None
    except OSError as exc:  # mfusepy found no libfuse
        raise ToolMissingError(f"libfuse is not installed ({exc})",
                               hint="install the fuse3 package (apt-get install fuse3)") from None
    return mfusepy


def command(
    workload: Annotated[str, typer.Argument(help="Workload whose points to show.")],
    mountpoint: Annotated[Path, typer.Argument(help="An existing, empty folder to mount on.")],
    target: Annotated[str | None, typer.Option("--target", help="Show the points of this target.")] = None,
    manifest: ManifestOption = None,
) -> None:
    """Mount a workload's recovery points read-only (FUSE), until unmounted."""
    problem = fuse_problem()
    if problem:
        raise ToolMissingError(f"cannot mount: {problem}", hint="`bkctl ls`, `bkctl dump` and `bkctl restore` "
                               "read points without FUSE")
    if not mountpoint.is_dir():
        raise NotFoundError(f"mount point {mountpoint} is not an existing folder", hint=f"mkdir -p {mountpoint}")
    with Workspace.load(manifest) as workspace, \
            operations.browsing(workspace, workload, target=target) as (rows, browser):
        if not rows:
            raise NotFoundError(f"workload '{workload}' has no recovery point to show",
                                hint=f"back it up with: bkctl backup {workload}")
        view = PointsView(rows, browser, ready=lambda: err.print(
            f"Mounted {len(rows)} recovery point{'' if len(rows) == 1 else 's'} of {workload} "
            f"(target {rows[0].target}) read-only at {mountpoint}; unmount with: fusermount -u {mountpoint}",
            markup=False))
        _run(view, mountpoint)
    err.print(f"Unmounted {mountpoint}", markup=False)


def _run(view: PointsView, mountpoint: Path) -> None:
    """Serve until unmounted; libfuse handles Ctrl-C and SIGTERM by unmounting."""
    if os.path.ismount(mountpoint):
        raise UsageError(f"{mountpoint} is a mount point already", hint=f"fusermount -u {mountpoint}")
    try:
        _bindings().FUSE(view, str(mountpoint), foreground=True, ro=True, nothreads=True, fsname="bkctl",
                         default_permissions=True)
    except RuntimeError as exc:  # libfuse printed its reason above
        raise BkctlError(f"could not mount at {mountpoint} (libfuse returned {exc})",
                         hint="is the folder empty and not mounted already?") from None
