"""Which files make up a manifest, and where named policies are looked up."""

from __future__ import annotations

from pathlib import Path

from bkctl.errors import NotFoundError

__all__ = ["DEFAULT_NAMES", "find_manifest", "manifest_files", "policy_dirs", "library_dir"]

DEFAULT_NAMES = ("bkctl.yaml", "bkctl.yml", "bkctl")


def find_manifest(path: str | Path | None) -> Path:
    """The manifest path given, or ``bkctl.yaml``/``bkctl/`` in the current directory."""
    if path is not None:
        candidate = Path(path)
        if not candidate.exists():
            raise NotFoundError(f"manifest {candidate} does not exist")
        return candidate
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
