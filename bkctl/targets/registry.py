"""Manifest targets -> drivers: the one place that knows which driver serves which kind."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bkctl.errors import BkctlError, PassphraseError
from bkctl.manifest import LoadedManifest
from bkctl.model import DiskTarget, Encryption, TapeTarget, VaultTarget
from bkctl.secrets import Secret, read_passphrase
from bkctl.store.append_only import AppendOnlyStore
from bkctl.store.local import LocalStore
from bkctl.store.retry import RetryingStore
from bkctl.targets.base import Target
from bkctl.targets.object_lock import LONG_LIVED
from bkctl.targets.repository import RepositoryTarget
from bkctl.targets.unavailable import UnavailableTarget

if TYPE_CHECKING:  # libcloud loads only when a vault is opened
    from bkctl.store.objstore import DriverFactory

__all__ = ["open_target", "cache_dir_of"]


def cache_dir_of(loaded: LoadedManifest) -> Path | None:
    """The local cache folder: settings.cache_dir, then $BKCTL_CACHE_DIR, else the engine default."""
    configured = loaded.manifest.settings.cache_dir or os.environ.get("BKCTL_CACHE_DIR")
    return Path(configured).expanduser() if configured else None


def _passphrase(loaded: LoadedManifest, name: str,
                encryption: Encryption | None) -> tuple[Secret | None, BkctlError | None]:
    source = encryption or loaded.manifest.encryption
    if source is None:
        return None, PassphraseError("no passphrase source configured", context=f"target '{name}'")
    try:
        file = loaded.resolve_path("targets", name, source.passphrase_file) if source.passphrase_file else None
        return read_passphrase(env=source.passphrase_env, file=file, owner=f"target '{name}'"), None
    except PassphraseError as error:
        return None, error


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def open_target(loaded: LoadedManifest, name: str, *, clock: Callable[[], datetime] = _wall_clock) -> Target:
    """The driver for one named target. ``clock`` is the time a run acts at (``apply --now``):
    tape libraries date media sets and expiry by it."""
    spec = loaded.manifest.targets[name]
    secret, problem = _passphrase(loaded, name, spec.encryption)
    if isinstance(spec, TapeTarget):
        from bkctl.targets.tape import TapeDriver  # the tape stack loads only for tape targets, as libcloud for vaults

        vaults = {vault: str(loaded.resolve_path("targets", name, place.path)) for vault, place in spec.vaults.items()}
        return TapeDriver(name, spec, loaded.resolve_path("targets", name, spec.library), vaults, secret,
                          passphrase_error=problem, clock=clock)
    cache_dir = cache_dir_of(loaded)
    grace = loaded.manifest.settings.reclaim_grace.fixed()
    if isinstance(spec, VaultTarget) and spec.provider != "local":
        # libcloud's own 'local' driver is not crash-safe (docs/vault.md), so 'local'
        # stays on LocalStore below and only real object stores go through libcloud,
        # imported here: it costs a tenth of a second at every start-up that needs no vault.
        from bkctl.store.objstore import LibcloudStore, driver_factory, env_credentials

        owner = f"target '{name}'"
        try:
            connect = driver_factory(spec.provider, env_credentials(spec.key_env or "", spec.secret_env or "", owner),
                                     host=spec.host, port=spec.port, secure=spec.secure, region=spec.region)
        except BkctlError as error:
            return UnavailableTarget(name, error.message, cause=error)
        where = f"{owner} ({spec.provider} container '{spec.container}')"
        if spec.immutable is not None:
            return _locking_target(name, spec, connect, where, secret, problem, cache_dir, grace)
        store = RetryingStore(LibcloudStore(connect, spec.container, spec.prefix, description=where))
        return RepositoryTarget(name, store, secret, cache_dir, passphrase_error=problem,
                                create_container=store.ensure_container, reclaim_grace=grace)
    local = LocalStore(_store_root(loaded, name, spec))
    if isinstance(spec, DiskTarget) and spec.append_only:
        guarded = AppendOnlyStore(local, target=name)
        return RepositoryTarget(name, guarded, secret, cache_dir, passphrase_error=problem, reclaim_grace=grace,
                                append_only=guarded)
    return RepositoryTarget(name, local, secret, cache_dir, passphrase_error=problem, reclaim_grace=grace)


def _locking_target(name: str, spec: VaultTarget, connect: DriverFactory, where: str, secret: Secret | None,
                    problem: BkctlError | None, cache_dir: Path | None, grace: timedelta) -> Target:
    """A vault with ``immutable``: its store writes config, keys, packs and points under S3 Object Lock."""
    from bkctl.store.locked import LockingStore
    from bkctl.store.objectlock import LockSettings

    assert spec.immutable is not None
    settings = LockSettings(days=spec.immutable.days, mode=spec.immutable.mode, long_lived=LONG_LIVED)
    inner = LockingStore(connect, spec.container, spec.prefix, lock=settings, description=where,
                         location=spec.region if spec.region not in (None, "us-east-1") else None)
    store = RetryingStore(inner)
    return RepositoryTarget(name, store, secret, cache_dir, passphrase_error=problem,
                            create_container=store.ensure_container, reclaim_grace=grace, locks=inner)


def _store_root(loaded: LoadedManifest, name: str, spec: DiskTarget | VaultTarget) -> Path:
    if isinstance(spec, DiskTarget):
        return loaded.resolve_path("targets", name, spec.path)
    folder = loaded.resolve_path("targets", name, spec.path or ".") / spec.container
    prefix = spec.prefix.strip("/")
    return folder / prefix if prefix else folder
