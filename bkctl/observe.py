"""Targets -> ActualState. An unreachable target is a warning in the plan, not a crash."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bkctl.errors import BkctlError
from bkctl.model.state import ActualState, TargetState
from bkctl.targets.base import Target

__all__ = ["observe"]


def observe(drivers: Mapping[str, Target], host: str, names: Iterable[str] | None = None) -> ActualState:
    """Read the catalog of every named target (all by default)."""
    chosen = sorted(drivers if names is None else names)
    return ActualState(targets={name: _observe_one(drivers[name], name) for name in chosen}, host=host)


def _observe_one(driver: Target, name: str) -> TargetState:
    try:
        return driver.observe()
    except BkctlError as error:
        return TargetState(name=name, reachable=False, initialized=False, error=error.message)
    except OSError as error:
        return TargetState(name=name, reachable=False, initialized=False,
                           error=f"{error.strerror or error} ({getattr(error, 'filename', '') or name})")
