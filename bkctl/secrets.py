"""Passphrases: read from the environment or a file, masked everywhere else.

A :class:`Secret` never prints its value (``repr``/``str`` are masked), refuses to be
pickled or JSON-serialised by accident, and is only unwrapped by the key-derivation code.
"""

from __future__ import annotations

import os
from pathlib import Path

from bkctl.errors import PassphraseError

__all__ = ["Secret", "read_passphrase"]


class Secret:
    """A string that will not leak through logs, reprs, tracebacks' locals or plans."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The plain value; call only where it is fed to a KDF or a subprocess env."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


def read_passphrase(
    *, env: str | None = None, file: str | Path | None = None, owner: str = ""
) -> Secret:
    """Read a passphrase from the named environment variable or file.

    Raises :class:`PassphraseError` naming the variable or file (never the value) when it
    is unset, unreadable or empty. A trailing newline in a file is dropped, as users
    expect from ``echo secret > file``.
    """
    context = owner or "encryption"
    if env:
        value = os.environ.get(env)
        if value is None or value == "":
            raise PassphraseError(
                f"environment variable {env} is not set or empty",
                context=context,
                hint=f"export {env}=... before running bkctl",
            )
        return Secret(value)
    if file:
        path = Path(file).expanduser()
        try:
            value = path.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise PassphraseError(
                f"cannot read passphrase file {path}: {exc.strerror}", context=context
            ) from None
        if not value:
            raise PassphraseError(f"passphrase file {path} is empty", context=context)
        return Secret(value)
    raise PassphraseError(
        "no passphrase source configured",
        context=context,
        hint="set encryption.passphrase_env or encryption.passphrase_file",
    )
