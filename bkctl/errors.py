"""Errors as data: one hierarchy, rendered at one CLI boundary.

Every error carries a ``reference`` (a stable, greppable identifier), a ``message``
(what went wrong), a ``context`` (which file, line, target or object) and a ``hint``
(what to do). ``exit_code`` lets scripts tell failures apart. This module imports
nothing from bkctl so that every layer may raise these.
"""

from __future__ import annotations

__all__ = [
    "BkctlError",
    "ManifestError",
    "Diagnostic",
    "PassphraseError",
    "RepositoryNotFoundError",
    "RepositoryCorruptError",
    "RepositoryLockedError",
    "StorageFullError",
    "KeyRoleError",
    "ObjectLockedError",
    "TargetUnreachableError",
    "CredentialsRejectedError",
    "TransientStorageError",
    "CredentialsMissingError",
    "ToolMissingError",
    "NotFoundError",
    "StalePlanError",
    "MediaOffsiteError",
    "UsageError",
    "ExitCode",
]

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes; 0 and 2 follow Terraform (no change / changes present)."""

    OK = 0
    ERROR = 1
    CHANGES = 2
    INVALID_MANIFEST = 1
    USAGE = 64
    PASSPHRASE = 65
    NOT_FOUND = 66
    CORRUPT = 67
    LOCKED = 68
    UNREACHABLE = 69
    TOOL_MISSING = 70
    STORAGE_FULL = 71
    STALE_PLAN = 72
    MEDIA_OFFSITE = 73
    KEY_ROLE = 77


@dataclass(frozen=True)
class Diagnostic:
    """One manifest problem with its exact place, so all can be shown together."""

    file: str
    line: int
    column: int
    path: str
    message: str
    hint: str = ""

    def location(self) -> str:
        """``file:line:column`` as editors and CI annotations understand it."""
        return f"{self.file}:{self.line}:{self.column}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
            "hint": self.hint,
        }


class BkctlError(Exception):
    """Base of every error bkctl expects; anything else is a bug (traceback with --debug)."""

    reference: str = "bkctl-error"
    exit_code: int = ExitCode.ERROR

    def __init__(self, message: str, *, context: str = "", hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.context = context
        self.hint = hint

    def __str__(self) -> str:
        parts = [f"{self.context}: {self.message}" if self.context else self.message]
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class ManifestError(BkctlError):
    """The manifest is invalid; carries every diagnostic found, not just the first."""

    reference = "manifest-invalid"
    exit_code = ExitCode.INVALID_MANIFEST

    def __init__(self, diagnostics: list[Diagnostic], *, context: str = "") -> None:
        count = len(diagnostics)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} in the manifest", context=context
        )
        self.diagnostics = diagnostics

    def __str__(self) -> str:
        lines = [self.message]
        for d in self.diagnostics:
            lines.append(f"{d.location()}: {d.path}: {d.message}")
            if d.hint:
                lines.append(f"    hint: {d.hint}")
        return "\n".join(lines)


class UsageError(BkctlError):
    reference = "usage"
    exit_code = ExitCode.USAGE


class PassphraseError(BkctlError):
    """Wrong or missing passphrase. The passphrase itself is never part of the message."""

    reference = "passphrase"
    exit_code = ExitCode.PASSPHRASE


class NotFoundError(BkctlError):
    reference = "not-found"
    exit_code = ExitCode.NOT_FOUND


class RepositoryNotFoundError(NotFoundError):
    reference = "repository-not-found"


class RepositoryCorruptError(BkctlError):
    reference = "repository-corrupt"
    exit_code = ExitCode.CORRUPT


class RepositoryLockedError(BkctlError):
    reference = "repository-locked"
    exit_code = ExitCode.LOCKED


class StorageFullError(BkctlError):
    reference = "storage-full"
    exit_code = ExitCode.STORAGE_FULL


class TargetUnreachableError(BkctlError):
    reference = "target-unreachable"
    exit_code = ExitCode.UNREACHABLE


class ToolMissingError(BkctlError):
    reference = "tool-missing"
    exit_code = ExitCode.TOOL_MISSING


class StalePlanError(BkctlError):
    reference = "stale-plan"
    exit_code = ExitCode.STALE_PLAN


class MediaOffsiteError(BkctlError):
    """A restore needs a tape cartridge that sits in an off-site vault; names it and the vault."""

    reference = "media-offsite"
    exit_code = ExitCode.MEDIA_OFFSITE

    def __init__(self, message: str, *, barcodes: tuple[str, ...] = (), vaults: tuple[str, ...] = (),
                 context: str = "", hint: str = "") -> None:
        super().__init__(message, context=context, hint=hint)
        self.barcodes = barcodes
        self.vaults = vaults


class ObjectLockedError(BkctlError):
    """The object is under S3 Object Lock retention: nobody may delete it before the date."""

    reference = "object-locked"
    exit_code = ExitCode.LOCKED


class KeyRoleError(BkctlError):
    """The repository key's role does not allow this (a writer restoring, a manager deleting keys)."""

    reference = "key-role"
    exit_code = ExitCode.KEY_ROLE


class CredentialsRejectedError(TargetUnreachableError):
    """The storage service refused the credentials: permanent, never retried, secret never shown."""

    reference = "credentials-rejected"


class TransientStorageError(TargetUnreachableError):
    """A storage failure that may pass (refused connection, timeout, 5xx, 429): worth retrying."""

    reference = "storage-transient"


class CredentialsMissingError(BkctlError):
    """A storage credential variable is unset; names the variable, never a value."""

    reference = "credentials-missing"
    exit_code = ExitCode.PASSPHRASE
