"""Which files make up a manifest, and where named policies are looked up."""

from __future__ import annotations

import os
from pathlib import Path

from bkctl.errors import NotFoundError

__all__ = ["DEFAULT_NAMES", "MANIFEST_ENVIRONMENT", "find_manifest", "manifest_files", "policy_dirs", "library_dir"]

DEFAULT_NAMES = ("bkctl.yaml", "bkctl.yml", "bkctl")
MANIFEST_ENVIRONMENT = "BKCTL_MANIFEST"


def find_manifest(path: str | Path | None) -> Path:
    """The manifest path given, else ``$BKCTL_MANIFEST``, else ``bkctl.yaml``/``bkctl/`` here.

    The one place every command resolves its manifest, so the order is the same for all:
    ``-m``/the positional path (the caller passes whichever was given), the environment
    variable, the current directory.
    """
    if path is not None:
        candidate = Path(path)
        if not candidate.exists():
            raise NotFoundError(f"manifest {candidate} does not exist")
        return candidate
    named = os.environ.get(MANIFEST_ENVIRONMENT)
    if named:
        if not Path(named).exists():
            raise NotFoundError(f"manifest {named} (from {MANIFEST_ENVIRONMENT}) does not exist",
                                hint=f"fix or unset {MANIFEST_ENVIRONMENT}, or pass the manifest with -m PATH")
        return Path(named)
    for name in DEFAULT_NAMES:
        candidate = Path(name)
        if candidate.is_file() or (candidate.is_dir() and any(candidate.glob("*.y*ml"))):
            return candidate
    raise NotFoundError(
        "no manifest given and none found in the current directory",
        hint="pass a path, or create bkctl.yaml (see examples/quickstart.yaml)",
    )


def manifest_files(path: Path) -> list[Path]:
    """A file, or the ``*.yaml``/``*.yml`` files of a directory in name order."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        if not files:
            raise NotFoundError(f"directory {path} holds no *.yaml or *.yml files")
        return files
    return [path]


def library_dir() -> Path:
    """The policy library shipped with bkctl (the repository's top-level ``policies/``)."""
    return Path(__file__).resolve().parent.parent / "policy_library"


def policy_dirs(manifest_path: Path) -> list[Path]:
    """Local policy folders, nearest first: ``policies/`` beside the manifest."""
    base = manifest_path if manifest_path.is_dir() else manifest_path.parent
    dirs = [base / "policies"]
    if manifest_path.is_dir():
        dirs.append(base.parent / "policies")
    return [d for d in dirs if d.is_dir() and d.resolve() != library_dir().resolve()]
