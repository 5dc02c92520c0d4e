"""What a restore did, what it could not restore because stored data is damaged, and how it ends.

Restore goes on past damage, as restic does: every intact file is written, each damaged
one is named (with the repository's reason) as it is met, and the restore then fails
with :class:`RestoreDamagedError` (exit 67) summing up. A damaged file is never left
behind: its partly written file is removed, because a backup tool must not leave a wrong
file that looks right (restic leaves the partial content; we chose not to).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from bkctl.errors import BkctlError, RepositoryCorruptError
from bkctl.model.units import format_size

__all__ = ["Damage", "PathTooLongError", "RestoreDamagedError", "RestoreStats"]

logger = logging.getLogger("bkctl")

NAMED_IN_SUMMARY = 5  # the summary names a few; each one was already named as it was met


@dataclass(frozen=True)
class Damage:
    """One entry not restored: where it would have landed, its path in the point, and why."""

    path: str
    stored: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class RestoreStats:
    """What a restore did; ``landed`` says where each backed-up root was written."""

    files: int = 0
    dirs: int = 0
    links: int = 0
    bytes: int = 0
    skipped_existing: int = 0
    matched: int = 0  # entries the include patterns selected (stays 0 without patterns)
    landed: list[str] = field(default_factory=list)
    damaged: list[Damage] = field(default_factory=list)

    def skip(self, path: str) -> None:
        """An entry exists and is left alone (no ``overwrite``)."""
        logger.warning("not overwriting existing %s", path)
        self.skipped_existing += 1

    def damage(self, path: str, stored: str, reason: str) -> None:
        """Name a damaged entry as soon as it is met, so a long restore shows it at once."""
        logger.warning("damaged, not restored: %s: %s", path, reason)
        self.damaged.append(Damage(path, stored, reason))


class RestoreDamagedError(RepositoryCorruptError):
    """Raised after a restore wrote everything it could; carries the counts and the damage."""

    reference = "restore-damaged"

    def __init__(self, point_id: str, target: str, stats: RestoreStats) -> None:
        damaged = stats.damaged
        names = ", ".join(d.path for d in damaged[:NAMED_IN_SUMMARY])
        if len(damaged) > NAMED_IN_SUMMARY:
            names += f" and {len(damaged) - NAMED_IN_SUMMARY} more (each named above)"
        existing = (f"; {stats.skipped_existing} existing entries were left alone"
                    if stats.skipped_existing else "")
        super().__init__(
            f"restored {stats.files} file{'' if stats.files == 1 else 's'} ({format_size(stats.bytes)}) "
            f"from point {point_id[:8]} "
            f"into {target}, {len(damaged)} damaged: {names}{existing}",
            hint="damaged files were not written (no partial file is left); restore them from another "
                 "point or target (--point, --target); `bkctl verify --read-data 100` names every "
                 "affected point" + _index_hint(damaged),
        )
        self.point_id = point_id
        self.stats = stats


def _index_hint(damaged: list[Damage]) -> str:
    """Blobs missing from the index may still be in their packs: the index can be rebuilt."""
    if any("missing from the index" in d.reason for d in damaged):
        return "; some data is missing from the index: `bkctl repair index` rebuilds it from the packs"
    return ""


class PathTooLongError(BkctlError):
    """The target file system refused a path as too long (a point nested deeper than it allows)."""

    reference = "path-too-long"

    @classmethod
    def of(cls, error: OSError, target: Path) -> PathTooLongError:
        path = str(error.filename or "")
        depth = path.count("/") - str(target).count("/")
        shown = path if len(path) <= 120 else f"{path[:60]}...{path[-50:]}"
        limits = f"PATH_MAX {_limit(target, 'PC_PATH_MAX')}, NAME_MAX {_limit(target, 'PC_NAME_MAX')}"
        return cls(f"cannot restore {shown}: it lies {depth} levels below {target} and its path is "
                   f"{len(os.fsencode(path))} bytes long, more than this file system accepts ({limits} bytes)",
                   hint="restore into a folder with a shorter path, or leave the deep part out with --include")


def _limit(target: Path, name: str) -> str:
    try:
        return str(os.pathconf(target, name))
    except (OSError, ValueError):
        return "unknown"
