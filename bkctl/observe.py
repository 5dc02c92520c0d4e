"""Targets -> ActualState. A target that cannot be read is recorded, not raised.

This is the one place where a failure to observe a target becomes data: the driver
raises its BkctlError (wrong passphrase, refused connection, missing credentials) and
the TargetState keeps the error's text, kind, hint and exit code, so that the plan can
name the target as an error and plan, apply and status exit with the same code any other
command gives for that failure. A whole plan never stops because one target is down.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bkctl.errors import BkctlError, ExitCode, TargetUnreachableError
from bkctl.model.state import ActualState, TargetState
from bkctl.targets.base import Target

__all__ = ["observe", "unreachable_state", "observation_error"]


def observe(drivers: Mapping[str, Target], host: str, names: Iterable[str] | None = None) -> ActualState:
    """Read the catalog of every named target (all by default)."""
    chosen = sorted(drivers if names is None else names)
    return ActualState(targets={name: _observe_one(drivers[name], name) for name in chosen}, host=host)


def unreachable_state(name: str, error: BkctlError) -> TargetState:
    """The state of a target that could not be read because of ``error``."""
    return TargetState(name=name, reachable=False, initialized=False, error=error.message,
                       error_kind=error.reference, error_code=int(error.exit_code), error_hint=error.hint)


def _observe_one(driver: Target, name: str) -> TargetState:
    try:
        state = driver.observe()
    except BkctlError as error:
        return unreachable_state(name, error)
    except OSError as error:
        where = getattr(error, "filename", "") or name
        return unreachable_state(name, TargetUnreachableError(f"{error.strerror or error} ({where})"))
    if state.reachable or state.error_code:
        return state
    # A driver that reports itself unreachable without a code: unreachable is what it said.
    return state.model_copy(update={"error": state.error or "not observed",
                                    "error_kind": state.error_kind or TargetUnreachableError.reference,
                                    "error_code": int(ExitCode.UNREACHABLE)})


def observation_error(state: TargetState) -> BkctlError:
    """The failure an unreachable state records, raised again by a command that needs the
    target (``bkctl backup``), with the same exit code the failure has everywhere."""
    error = BkctlError(state.error or "not observed", context=f"target '{state.name}'", hint=state.error_hint)
    error.reference = state.error_kind or TargetUnreachableError.reference
    error.exit_code = state.error_code or ExitCode.UNREACHABLE
    return error
