"""Observation turns a driver's failure into data that keeps the failure's kind and exit code."""

from __future__ import annotations

from typing import Any

from bkctl.errors import BkctlError, CredentialsMissingError, PassphraseError
from bkctl.model.state import TargetState
from bkctl.observe import observation_error, observe


class Driver:
    """Only observe() is asked of a driver here."""

    def __init__(self, name: str, outcome: TargetState | Exception) -> None:
        self.name, self._outcome = name, outcome

    def observe(self) -> TargetState:
        if isinstance(self._outcome, Exception):
            raise self._outcome
        return self._outcome

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"observe must not call {name}")


def test_a_driver_error_becomes_an_unreachable_state_with_its_code_kind_and_hint() -> None:
    drivers: dict[str, Any] = {
        "a": Driver("a", PassphraseError("wrong passphrase", hint="check it")),
        "b": Driver("b", CredentialsMissingError("VAULT_KEY is not set")),
        "c": Driver("c", FileNotFoundError(2, "No such file or directory", "/mnt/backup")),
        "d": Driver("d", TargetState(name="d", reachable=False, initialized=False, error="library offline")),
        "e": Driver("e", TargetState(name="e", reachable=True, initialized=False)),
    }
    states = observe(drivers, "host").targets
    got = {name: (s.reachable, s.error_kind, s.error_code) for name, s in states.items()}
    assert got == {"a": (False, "passphrase", 65), "b": (False, "credentials-missing", 65),
                   "c": (False, "target-unreachable", 69), "d": (False, "target-unreachable", 69),
                   "e": (True, "", 0)}
    assert (states["a"].error, states["a"].error_hint) == ("wrong passphrase", "check it")
    assert "/mnt/backup" in states["c"].error


def test_the_recorded_failure_raises_again_with_the_same_code() -> None:
    state = observe({"a": Driver("a", PassphraseError("wrong passphrase", hint="check it"))}, "h").targets["a"]
    error = observation_error(state)
    assert isinstance(error, BkctlError)
    assert (error.exit_code, error.reference, error.context, error.hint) == (65, "passphrase", "target 'a'",
                                                                              "check it")
