"""An append-only BlobStore decorator: history is added to, never deleted or rewritten, except by the owner.

borg's append-only repositories, for bkctl's disk targets (``append_only: true``). Until the
repository on it is opened with an owner key (:meth:`AppendOnlyStore.opened_with`), this
store refuses, with :class:`~bkctl.errors.KeyRoleError` (exit code 77) naming the target:

- **delete** of any object outside ``MUTABLE`` (recovery points, packs, index objects,
  session keys, key objects, the config, reclaim marks);
- **put** over an existing object outside ``MUTABLE`` (an overwrite is a delete too).

New objects are always accepted, so a backup with a writer or manager key commits as
usual: it writes packs, its session key, index objects (added, never consolidated) and
the point document, all under new names. What stays mutable is what every run must
change or what holds no history: repository locks (``locks/``: each session writes,
refreshes and removes its own, and removes stale ones), run records and copy maps
(``runs/``, ``copymaps/``: bounded logs folded into one object; losing them loses no
recovery point) and the verify marker (``meta/``).

One exception keeps a failed backup tidy: a pack this process stored itself may be deleted
again (a backup's abort removes the packs it stored but never indexed; no other run can
know them, and on a full disk they are most of what the failed run wrote). A pack that was
there before this process started is never deleted without the owner key.

Before a repository exists (no ``config``) nothing is refused: there is no history yet, and
initialisation clears a crashed initialisation's leftover key objects. The checks cost one
``exists`` per put of a guarded name (a ``stat`` on a local disk) and nothing on reads.

This is a guard in bkctl, in the process that writes: it stops bkctl runs holding a
non-owner key (a backup host, a stale saved plan, a mistyped ``forget``) from destroying
history. It does not stop a process with write access to the directory from deleting
files; docs/disk.md says what that means for 3-2-1-1-0.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import IO

from bkctl.errors import KeyRoleError
from bkctl.store.base import BlobStore

__all__ = ["AppendOnlyStore", "MUTABLE"]

MUTABLE = ("locks/", "runs/", "copymaps/", "meta/")
"""Prefixes every key may overwrite and delete in an append-only repository (see the module docstring)."""

_OWN = "data/"  # the objects this process may delete again when it stored them itself (packs)


class AppendOnlyStore:
    """Wraps a BlobStore; refuses deletes and overwrites of history until the owner opens it."""

    def __init__(self, inner: BlobStore, *, target: str) -> None:
        self.inner = inner
        self.target = target
        self.key_role: str | None = None  # the role of the key the repository was opened with
        self._stored: set[str] = set()  # packs this process created (deletable again: see the module docstring)
        self._stored_lock = threading.Lock()

    @property
    def parallel_puts(self) -> int:
        return self.inner.parallel_puts

    def opened_with(self, role: str | None) -> None:
        """Record the role of the key the repository was opened with ("owner" lifts every refusal)."""
        self.key_role = role

    @property
    def owner(self) -> bool:
        return self.key_role == "owner"

    def require_owner(self, doing: str) -> None:
        """KeyRoleError unless the owner opened the repository: for actions that delete (prune, reclaim)."""
        if not self.owner:
            raise KeyRoleError(f"target '{self.target}' is append-only: {self._holder()} cannot {doing}; "
                               "that needs the owner key", hint=_HINT)

    # -- writes ---------------------------------------------------------------------
    def put(self, name: str, data: bytes) -> None:
        created = self._check_put(name)
        self.inner.put(name, data)
        self._remember(name, created)

    def put_file(self, name: str, file: IO[bytes]) -> None:
        created = self._check_put(name)
        self.inner.put_file(name, file)
        self._remember(name, created)

    def delete(self, name: str) -> None:
        if _guarded(name) and not self.owner and not self._own(name) and self.inner.exists("config"):
            raise self._refused("delete", name)
        self.inner.delete(name)
        with self._stored_lock:
            self._stored.discard(name)

    def _check_put(self, name: str) -> bool:
        """Refuse an overwrite of history; True when ``name`` is a new guarded object."""
        if not _guarded(name) or self.owner:
            return False
        if self.inner.exists(name):
            raise self._refused("overwrite", name)
        return True

    def _remember(self, name: str, created: bool) -> None:
        if created and name.startswith(_OWN):
            with self._stored_lock:
                self._stored.add(name)

    def _own(self, name: str) -> bool:
        with self._stored_lock:
            return name in self._stored

    def _holder(self) -> str:
        return f"a {self.key_role} key" if self.key_role else "a run without the owner key"

    def _refused(self, verb: str, name: str) -> KeyRoleError:
        return KeyRoleError(
            f"target '{self.target}' is append-only: {self._holder()} may not {verb} {name}; only the owner "
            "key deletes or overwrites its recovery points, data, index, keys and config", hint=_HINT)

    # -- reads ----------------------------------------------------------------------
    def get(self, name: str) -> bytes:
        return self.inner.get(name)

    def get_range(self, name: str, offset: int, length: int) -> bytes:
        return self.inner.get_range(name, offset, length)

    def list(self, prefix: str = "") -> Iterator[str]:
        return self.inner.list(prefix)

    def exists(self, name: str) -> bool:
        return self.inner.exists(name)

    def size(self, name: str) -> int:
        return self.inner.size(name)


_HINT = ("prune, forget and reclaim where the owner key's passphrase is configured; backups with this key "
         "go on (docs/disk.md, \"Append-only targets\")")


def _guarded(name: str) -> bool:
    return not name.startswith(MUTABLE)
