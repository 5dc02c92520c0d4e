"""Targets: where recovery points are stored (disk, tape library, object-storage vault)."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator

from bkctl.model.base import Name, Strict, described
from bkctl.model.container_names import container_name_problem
from bkctl.model.fields import SizeField
from bkctl.model.pricing import PRICING_PRESETS, Pricing, PricingPreset
from bkctl.model.protection import HOME_LOCATION, MediaClass, Placement
from bkctl.model.tape import MEDIA_TYPES, MediaName, MediaType, TapePool, TapeTiming, TapeVault

__all__ = ["Encryption", "DiskTarget", "Immutability", "VaultTarget", "TapeTarget", "Target", "TARGET_TYPES",
           "OBJECT_LOCK_PROVIDERS"]


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
    placement: Placement = described(
        "Media class, site and immutability of this target's copies, for the 3-2-1-1-0 rule "
        "(unset fields take defaults from the target's kind).",
        {"media": "object", "location": "eu-west", "immutable": True},
        default_factory=Placement,
    )
    pricing: Pricing | PricingPreset = described(
        "Storage prices for the plan's monthly cost estimate: a shipped list (none, azure-hot, azure-cool, "
        "azure-cold, azure-archive, s3-standard, s3-standard-ia, s3-glacier-flexible, "
        "s3-glacier-deep-archive) or your own prices.",
        "azure-cool",
        default="none",
    )

    def media_class(self) -> MediaClass:
        """The declared media class, else the kind's (disk here; vaults and tape override)."""
        return self.placement.media or "disk"

    def location(self) -> str:
        return self.placement.location or HOME_LOCATION

    def prices(self) -> Pricing:
        return PRICING_PRESETS[self.pricing] if isinstance(self.pricing, str) else self.pricing

    def priced(self) -> bool:
        """Whether the manifest gave this target prices (a plan then shows cost estimates)."""
        return self.pricing != "none"


class DiskTarget(_TargetBase):
    """A repository in a local or mounted directory."""

    type: Literal["disk"] = described("Target kind.", "disk")
    path: str = described(
        "Directory of the repository (created on init; relative paths are relative to the "
        "manifest file).",
        "/srv/backup/bkctl",
    )
    append_only: bool = described(
        "Refuse to delete or overwrite recovery points, data, index, keys and config unless the repository is "
        "opened with an owner key (as borg's append-only repositories): backups with a writer or manager key "
        "go on, their prunes and reclaims wait for the owner (docs/disk.md).",
        True,
        default=False,
    )


OBJECT_LOCK_PROVIDERS = frozenset({
    "s3", "s3_us_east_2", "s3_us_west", "s3_us_west_oregon", "s3_us_gov_west", "s3_cn_north", "s3_cn_northwest",
    "s3_eu_west", "s3_eu_west_2", "s3_eu_central", "s3_eu_north_1", "s3_ap_south", "s3_ap_southeast",
    "s3_ap_southeast2", "s3_ap_northeast", "s3_ap_northeast_1", "s3_ap_northeast_2", "s3_sa_east", "s3_ca_central",
    "s3_rgw", "s3_rgw_outscale", "minio", "scaleway", "ovh",
})
"""libcloud providers that speak the S3 API, where bkctl sets S3 Object Lock retention itself.

Whether a bucket really enforces it is checked on the bucket (GetObjectLockConfiguration)
when the target is observed and initialised. Every other provider is refused: Azure
immutability policies are set on a container by its administrator (and Azurite implements
none), Google's S3-compatible API has no object lock, and 'local' is a plain folder.
"""


class Immutability(Strict):
    """S3 Object Lock on a vault's recovery points and the data they need (docs/vault.md)."""

    days: int = described(
        "Days every recovery point, and the data, keys and config it needs, is locked against deletion and "
        "overwrite after it is written; points that retention keeps longer get their lock extended "
        "(extend-lock).",
        30,
        ge=1,
        le=36500,
    )
    mode: Literal["compliance", "governance"] = described(
        "S3 Object Lock mode: 'compliance' (no one, not even the account root, can shorten or remove the "
        "lock) or 'governance' (principals allowed to bypass governance retention can).",
        "compliance",
        default="compliance",
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
    container: str = described(
        "Bucket or container name; for S3 (and MinIO) and Azure, a name the provider's naming rules refuse "
        "is refused here.", "backups")
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
    immutable: Immutability | None = described(
        "Lock recovery points with S3 Object Lock for this many days (S3-compatible providers only; the "
        "bucket must have object lock enabled, which `bkctl apply` does when it creates the bucket).",
        {"days": 30, "mode": "compliance"},
        default=None,
    )

    def media_class(self) -> MediaClass:
        return self.placement.media or ("disk" if self.provider == "local" else "object")

    def location(self) -> str:
        return self.placement.location or (HOME_LOCATION if self.provider == "local" else self.provider)

    @field_validator("container")
    @classmethod
    def _container_name_the_provider_accepts(cls, container: str, info: ValidationInfo) -> str:
        """Checked on the field (provider is read first), so the error points at its line."""
        if (problem := container_name_problem(str(info.data.get("provider", "local")), container)) is not None:
            raise ValueError(problem)
        return container

    @model_validator(mode="after")
    def _local_needs_path(self) -> Self:
        problems = []
        if self.provider == "local" and not self.path:
            problems.append("a vault with provider 'local' needs 'path' (the folder to store into)")
        if self.immutable is not None and self.provider not in OBJECT_LOCK_PROVIDERS:
            problems.append(_cannot_lock(self.provider))
        if self.provider != "local" and not (self.key_env and self.secret_env):
            problems.append(f"a vault with provider {self.provider!r} needs 'key_env' and 'secret_env' "
                            "(names of environment variables holding the credentials)")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _cannot_lock(provider: str) -> str:
    """Why ``immutable`` cannot be honoured on ``provider``, in words an operator can act on."""
    why = {
        "local": "a 'local' vault is a plain folder that anyone with write access can change",
        "azure_blobs": "Azure immutability policies are set on the container by its administrator, not by "
                       "bkctl, and the Azurite emulator implements none",
        "google_storage": "Google Cloud Storage's S3-compatible API has no object lock",
    }.get(provider, f"provider {provider!r} does not speak S3 Object Lock")
    return (f"'immutable' cannot be enforced on provider {provider!r}: {why}; use an S3-compatible provider "
            "(s3, minio, ...) with a bucket that has object lock enabled, or remove 'immutable' (declare "
            "'placement: {immutable: true}' only if the storage enforces immutability by itself)")


class TapeTarget(_TargetBase):
    """An emulated tape library: cartridges in slots, drives, pools of media sets, off-site vaults.

    See docs/tape.md. Points are written whole (or as incrementals within a media set),
    span cartridges at early warning, and cartridges are recycled only when every point on
    them, and every point depending on one, has expired.
    """

    type: Literal["tape"] = described("Target kind.", "tape")
    library: str = described(
        "Directory holding the emulated library (relative paths are relative to the manifest file).",
        "/srv/tape-library",
    )
    media: MediaName = described(
        "Cartridge generation; sets the default capacity and the assumed drive speed.", "LTO-8",
        default="LTO-8",
    )
    cartridges: int = described("Number of cartridges in the library.", 8, ge=1, le=10000)
    worm_cartridges: int = described(
        "How many of the cartridges are WORM (write once); only pools with 'worm: true' use them.",
        2,
        default=0,
        ge=0,
    )
    cartridge_capacity: SizeField | None = described(
        "Capacity of one cartridge (default: the media type's native capacity).", "800GB", default=None
    )
    drives: int = described("Number of tape drives.", 2, default=1, ge=1, le=64)
    slots: int | None = described(
        "Number of storage slots (default: one per cartridge); must hold every cartridge.", 24, default=None,
        ge=1,
    )
    mail_slots: int = described(
        "Import/export (mail) slots: how many cartridges one export or import moves at a time.", 4,
        default=1, ge=0, le=64,
    )
    pool: Name = described(
        "Pool that backups of workloads listing this target write to (one of 'pools' when given).",
        "weekly",
        default="default",
    )
    pools: dict[Name, TapePool] = described(
        "Media pools by name (default: one pool named by 'pool', appending, retention from the policy).",
        {"weekly": {"allocation": "weekly", "retention": "5w", "receives": "weekly"}},
        default_factory=dict,
    )
    vaults: dict[Name, TapeVault] = described(
        "Off-site vaults cartridges can be exported to, by name.",
        {"offsite": {"path": "/srv/tape-vault", "recall": "2d"}},
        default_factory=dict,
    )
    copy_from: Name | None = described(
        "A disk or vault target whose weekly/monthly/yearly points (as its retention marks them) "
        "are copied onto tape into the pool that receives them (GFS rotation).",
        "nearline",
        default=None,
    )
    format: Literal["full", "incremental"] = described(
        "'full' writes every point whole; 'incremental' writes only what the previous point of the "
        "same media set lacks (restores then read its chain).",
        "full",
        default="full",
    )
    timing: TapeTiming = described(
        "Load, locate and rate assumptions for estimates (defaults from the media type).",
        {"rate": "300MB", "load_seconds": 15},
        default_factory=TapeTiming,
    )

    def media_class(self) -> MediaClass:
        return self.placement.media or "tape"

    def media_type(self) -> MediaType:
        return MEDIA_TYPES[self.media]

    def capacity(self) -> int:
        """Bytes one cartridge holds: the configured capacity, else the media's native one."""
        return self.cartridge_capacity or self.media_type().capacity

    def effective_pools(self) -> dict[str, TapePool]:
        """The declared pools, or the implicit single pool named by ``pool``."""
        return dict(self.pools) if self.pools else {self.pool: TapePool()}

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = _tape_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _tape_problems(target: TapeTarget) -> list[str]:
    """Every inconsistency between counts, pools and vaults, explained."""
    problems = []
    if target.worm_cartridges > target.cartridges:
        problems.append(f"worm_cartridges ({target.worm_cartridges}) cannot exceed cartridges ({target.cartridges})")
    if target.slots is not None and target.slots < target.cartridges:
        problems.append(f"slots ({target.slots}) cannot hold {target.cartridges} cartridges; "
                        "raise 'slots' or lower 'cartridges'")
    if target.pools and target.pool not in target.pools:
        problems.append(f"pool '{target.pool}' is not one of the pools defined here "
                        f"({', '.join(sorted(target.pools))})")
    if any(p.worm for p in target.pools.values()) and not target.worm_cartridges:
        problems.append("a pool uses WORM cartridges ('worm: true') but 'worm_cartridges' is 0")
    levels = [p.receives for p in target.pools.values() if p.receives]
    if len(levels) != len(set(levels)):
        problems.append("two pools receive the same level; each of weekly/monthly/yearly goes to one pool")
    if target.copy_from and not levels:
        problems.append("'copy_from' needs at least one pool with 'receives' (weekly, monthly or yearly) "
                        "to say which points go to tape")
    for name, pool in sorted(target.pools.items()):
        if pool.offsite is not None and pool.offsite not in target.vaults:
            known = ", ".join(sorted(target.vaults)) or "none are defined"
            problems.append(f"pool '{name}' sends cartridges to vault '{pool.offsite}', which is not one of "
                            f"'vaults' ({known})")
    if target.capacity() < 1 << 20:
        problems.append("cartridge_capacity must be at least 1MiB")
    return problems


Target = Annotated[DiskTarget | VaultTarget | TapeTarget, Field(discriminator="type")]

TARGET_TYPES: dict[str, type[Strict]] = {"disk": DiskTarget, "vault": VaultTarget, "tape": TapeTarget}
