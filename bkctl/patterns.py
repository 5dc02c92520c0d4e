"""Include and exclude patterns (gitignore syntax), compiled only when a workload has some.

``pathspec`` imports asyncio (25 ms): a backup without patterns should not pay for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import PathSpec

__all__ = ["compile_patterns"]


def compile_patterns(lines: Sequence[str]) -> PathSpec | None:
    if not lines:
        return None
    import pathspec  # lazy, see the module docstring

    return pathspec.GitIgnoreSpec.from_lines(lines)
