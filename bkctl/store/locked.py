"""A LibcloudStore that writes long-lived objects under S3 Object Lock and never deletes a locked one.

What changes against :class:`~bkctl.store.objstore.LibcloudStore`, and why:

- **put** of a long-lived name (``LockSettings.covers``) carries the retention headers and
  ``Content-MD5``; other names (repository locks, reclaim marks, run records) are written
  without retention and stay deletable.
- **delete** deletes every *version* of the name. A lock-enabled bucket is versioned, and
  there a plain DELETE only adds a delete marker: a locked recovery point would vanish from
  listings (bkctl would believe it pruned) while its bytes stay billed, and a refreshed lock
  object would come back as its older version. A long-lived name is first looked at (HEAD):
  while its retention holds, no DELETE is sent at all and :class:`ObjectLockedError` says until
  when; if the server refuses anyway (its clock is ahead of ours), the 403 becomes the same error.
- **lock_states** / **extend_lock** read and lengthen retention; an earlier date is never
  requested (S3 refuses to shorten a compliance lock; moto does not, so bkctl must not ask).
- **check_object_lock** refuses a bucket without object lock, and one with a default retention
  rule (it would lock bkctl's own lock objects, which must stay deletable).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import IO

from libcloud.common.types import InvalidCredsError

from bkctl.errors import BkctlError, NotFoundError, ObjectLockedError, TargetUnreachableError
from bkctl.store.base import validate_name
from bkctl.store.objectlock import (
    LockSettings,
    ObjectLockState,
    create_locked_bucket,
    delete_version,
    file_md5,
    head_lock,
    lock_configuration,
    put_retention,
    version_ids,
)
from bkctl.store.objstore import DriverFactory, LibcloudStore

__all__ = ["LockingStore", "ObjectLockedError", "ObjectLockUnavailableError", "LOOKUP_THREADS"]

LOOKUP_THREADS = 8
"""HEAD requests in flight when many objects' locks are read: each is one round trip of a few
bytes, so eight overlap their latency (a thousand points: ~2.5 s at 20 ms instead of 20 s)."""



class ObjectLockUnavailableError(TargetUnreachableError):
    """The target asks for ``immutable`` but its bucket cannot lock objects as bkctl needs."""

    reference = "object-lock-unavailable"


class LockingStore(LibcloudStore):
    """A LibcloudStore on an S3 bucket with object lock; see the module docstring."""

    def __init__(self, connect: DriverFactory, container_name: str, prefix: str = "", *,
                 lock: LockSettings, description: str = "", location: str | None = None) -> None:
        super().__init__(connect, container_name, prefix, description=description)
        self.lock = lock
        self._location = location

    def _write_headers(self, name: str, file: IO[bytes]) -> dict[str, str] | None:
        """Retention for a long-lived name; a new version of an object that exists (a point sealed
        again, a grant, the config) keeps at least the current version's date, so rewriting never
        shortens what a plan believes (packs are new names, never rewritten: no HEAD for them)."""
        if not self.lock.covers(name):
            return None
        current = None if name.startswith("data/") else self.lock_state(name).until
        return self.lock.headers(file_md5(file), current)

    # -- delete ---------------------------------------------------------------------
    def delete(self, name: str) -> None:
        validate_name(name)
        if self.lock.covers(name):
            self._refuse_if_locked(name, self.lock_state(name))
        try:
            versions = version_ids(self._driver(), self.container_name, self._prefix + name)
        except Exception as exc:
            raise self._translate(exc, name) from exc
        for version in versions:
            self._delete_version(name, version)

    def _delete_version(self, name: str, version: str) -> None:
        try:
            delete_version(self._driver(), self.container_name, self._prefix + name, version)
        except InvalidCredsError as exc:  # the listing just worked: a 403 here is the lock
            state = self.lock_state(name)
            raise self._locked(name, state.until) from exc
        except Exception as exc:
            raise self._translate(exc, name) from exc

    def _refuse_if_locked(self, name: str, state: ObjectLockState) -> None:
        if state.until is not None and state.until > self.lock.clock():
            raise self._locked(name, state.until)

    def _locked(self, name: str, until: datetime | None) -> ObjectLockedError:
        when = f"until {until:%Y-%m-%d %H:%M} UTC" if until is not None else "(retention set on the server)"
        return ObjectLockedError(
            f"object {name} is under object lock {when}; the storage refuses to delete it before then",
            context=self.description,
            hint=("bkctl never deletes locked data: `bkctl plan` shows such points as kept by lock and "
                  "prunes them after the date") if name.startswith("points/") else
                 "it can be deleted once its lock ends; until then it stays as it is")

    # -- retention --------------------------------------------------------------------
    def lock_state(self, name: str) -> ObjectLockState:
        """The current version of ``name`` and its retain-until date (HEAD)."""
        validate_name(name)
        try:
            return head_lock(self._driver(), self.container_name, self._prefix + name)
        except Exception as exc:
            raise self._translate(exc, name) from exc

    def lock_states(self, names: Iterable[str]) -> dict[str, ObjectLockState]:
        """``lock_state`` of many names, LOOKUP_THREADS at a time (each thread has its own driver)."""
        chosen = sorted(set(names))
        if len(chosen) <= 1:
            return {name: self.lock_state(name) for name in chosen}
        with ThreadPoolExecutor(max_workers=LOOKUP_THREADS) as pool:
            return dict(zip(chosen, pool.map(self.lock_state, chosen), strict=True))

    def extend_lock(self, name: str, until: datetime, state: ObjectLockState | None = None) -> bool:
        """Lengthen the retention of ``name`` to ``until``; False when it already lasts that long.

        ``state`` is the HEAD already made for it, if any. A missing object is NotFoundError.
        """
        state = state or self.lock_state(name)
        if not state.exists:
            raise NotFoundError(f"object {name} does not exist", context=self.description)
        if state.until is not None and state.until >= until:
            return False
        try:
            put_retention(self._driver(), self.container_name, self._prefix + name, state.version,
                          self.lock.mode, until)
        except Exception as exc:
            raise self._translate(exc, name) from exc
        return True

    # -- the bucket ---------------------------------------------------------------------
    def ensure_container(self) -> None:
        """Create the bucket with object lock enabled when it is missing; then check it."""
        try:
            configuration = lock_configuration(self._driver(), self.container_name)
            if configuration is None:
                status = create_locked_bucket(self._driver(), self.container_name, self._location)
                if status not in (200, 409):
                    raise TargetUnreachableError(f"creating bucket '{self.container_name}' with object lock "
                                                 f"answered status code {status}", context=self.description)
        except BkctlError:
            raise
        except Exception as exc:
            raise self._translate(exc, self.container_name) from exc
        self.check_object_lock()

    def check_object_lock(self) -> None:
        """Raise ObjectLockUnavailableError unless the bucket locks objects as bkctl needs.

        A missing bucket passes: the target is then simply not initialised yet, and
        ``ensure_container`` creates it with object lock.
        """
        try:
            configuration = lock_configuration(self._driver(), self.container_name)
        except Exception as exc:
            raise self._translate(exc, self.container_name) from exc
        if configuration is not None and not configuration.enabled:
            raise ObjectLockUnavailableError(
                f"bucket '{self.container_name}' does not have object lock enabled, so 'immutable' cannot be "
                "enforced", context=self.description,
                hint="enable object lock on the bucket (S3: PutObjectLockConfiguration on a versioned bucket, or "
                     "a new bucket created with object lock; `bkctl apply` creates missing buckets that way), "
                     "or remove 'immutable' from the target")
        if configuration is not None and configuration.default_retention:
            raise ObjectLockUnavailableError(
                f"bucket '{self.container_name}' has a default retention ({configuration.default_retention}); "
                "it would lock bkctl's repository locks and reclaim marks, which must stay deletable",
                context=self.description,
                hint="remove the bucket's default retention rule: bkctl sets retention on each object it keeps")

