"""Targets: where recovery points are stored (disk, tape library, object-storage vault)."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from bkctl.model.base import Name, Strict, described
from bkctl.model.units import SizeField

__all__ = ["Encryption", "DiskTarget", "VaultTarget", "TapeTarget", "Target", "TARGET_TYPES"]


class Encryption(Strict):
    """Where the repository passphrase comes from; it is never written in a manifest."""

    passphrase_env: str | None = described(
        "Name of the environment variable holding the passphrase.", "BKCTL_PASSPHRASE", default=None
    )
    passphrase_file: str | None = described(
        "Path of a file holding the passphrase (first line).", "/etc/bkctl/passphrase", default=None
    )

    @model_validator(mode="after")
    def _exactly_one_source(self) -> Self:
        if (self.passphrase_env is None) == (self.passphrase_file is None):
            raise ValueError("encryption needs exactly one of 'passphrase_env' or 'passphrase_file'")
        return self


class _TargetBase(Strict):
    description: str = described("What this target is.", "Local backup disk", default="")
    encryption: Encryption | None = described(
        "Passphrase source for this target; defaults to the manifest's top-level encryption.",
        {"passphrase_env": "BKCTL_PASSPHRASE"},
        default=None,
    )
    replica: Name | None = described(
        "Another disk or vault target that keeps a copy of every recovery point stored here "
        "(geo-redundancy); apply copies missing points into it after backups, sending only "
        "chunks it lacks.",
        "offsite",
        default=None,
    )
    replica_policy: Name | None = described(
        "Policy whose retention the replica applies to the copies (defaults to each "
        "workload's own policy, so the replica keeps what this target keeps).",
        "archive-99y",
        default=None,
    )


class DiskTarget(_TargetBase):
    """A repository in a local or mounted directory."""

    type: Literal["disk"] = described("Target kind.", "disk")
    path: str = described(
        "Directory of the repository (created on init; relative paths are relative to the "
        "manifest file).",
        "/srv/backup/bkctl",
    )


class VaultTarget(_TargetBase):
    """A repository in object storage through apache-libcloud."""

    type: Literal["vault"] = described("Target kind.", "vault")
    provider: str = described(
        "apache-libcloud storage provider name (azure_blobs, s3, google_storage, ...); "
        "'local' stores into a folder.",
        "azure_blobs",
        default="local",
    )
    container: str = described("Bucket or container name.", "backups")
    prefix: str = described("Object name prefix inside the container.", "prod/", default="")
    path: str | None = described(
        "Folder for the 'local' provider (relative to the manifest file).", "vault", default=None
    )
    key_env: str | None = described(
        "Environment variable holding the access key or account name.", "AZURE_STORAGE_ACCOUNT", default=None
    )
    secret_env: str | None = described(
        "Environment variable holding the secret key.", "AZURE_STORAGE_KEY", default=None
    )
    host: str | None = described("Endpoint host for self-hosted or emulated services.", "127.0.0.1", default=None)
    port: int | None = described("Endpoint port.", 10000, default=None, ge=1, le=65535)
    secure: bool = described("Use TLS to talk to the endpoint.", True, default=True)
    region: str | None = described("Provider region, where the provider needs one.", "us-east-1", default=None)

    @model_validator(mode="after")
    def _local_needs_path(self) -> Self:
        if self.provider == "local" and not self.path:
            raise ValueError("a vault with provider 'local' needs 'path' (the folder to store into)")
        if self.provider != "local" and not (self.key_env and self.secret_env):
            raise ValueError(
                f"a vault with provider {self.provider!r} needs 'key_env' and 'secret_env' "
                "(names of environment variables holding the credentials)"
            )
        return self


class TapeTarget(_TargetBase):
    """An emulated tape library: fixed cartridges, sequential append, mounts counted."""

    type: Literal["tape"] = described("Target kind.", "tape")
    library: str = described("Directory holding the emulated library.", "/srv/tape-library")
    cartridges: int = described("Number of cartridges in the library.", 8, ge=1, le=10000)
    cartridge_capacity: SizeField = described("Capacity of one cartridge.", "800GB")
    pool: str = described("Media pool the cartridges belong to.", "weekly", default="default")


Target = Annotated[DiskTarget | VaultTarget | TapeTarget, Field(discriminator="type")]

TARGET_TYPES: dict[str, type[Strict]] = {"disk": DiskTarget, "vault": VaultTarget, "tape": TapeTarget}
