"""The environment of a child process: bkctl's own, less every secret bkctl reads.

Hooks, ``command`` workloads and the database tools are programs bkctl starts; they used to
inherit its whole environment, so ``command: [sh, -c, env]`` stored the repository
passphrase and the vault credentials inside the backup. Every child now gets bkctl's
environment without:

- the variables the manifest names as secret sources: ``passphrase_env`` (top level and per
  target), each vault target's ``key_env``/``secret_env``, each database ``password_env``;
- ``BKCTL_PASSPHRASE`` and any other ``BKCTL_*`` variable whose name says it holds a secret
  (``PASSPHRASE``, ``PASSWORD``, ``SECRET``, ``TOKEN``, ``KEY``, ``CREDENTIAL``), even when no
  manifest names it, because it is the documented default;

unless the workload lists the variable in ``pass_env``. Variables the caller adds
(``BKCTL_WORKLOAD`` for hooks, ``PGPASSWORD`` for pg_dump) are set after the scrub, so a
database tool still receives its own password, and only that.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from bkctl.model import Manifest, MariadbWorkload, PostgresWorkload, VaultTarget

__all__ = ["ChildEnvironment", "secret_variables", "child_environment", "is_bkctl_secret"]

SECRET_WORDS = ("PASSPHRASE", "PASSWORD", "SECRET", "TOKEN", "KEY", "CREDENTIAL")
"""Words that mark a ``BKCTL_*`` variable as secret (``BKCTL_TEST_FAST_KDF`` carries none)."""


def is_bkctl_secret(name: str) -> bool:
    """``BKCTL_PASSPHRASE``, ``BKCTL_VAULT_SECRET``...: bkctl's own variables that hold secrets."""
    return name.startswith("BKCTL_") and any(word in name for word in SECRET_WORDS)


@dataclass(frozen=True)
class ChildEnvironment:
    """What one workload's child processes may see of bkctl's environment.

    ``secrets`` are the names to remove (see :func:`secret_variables`); ``passed`` the names
    the workload lets through (its ``pass_env``). The default, with no manifest behind it,
    still removes the ``BKCTL_*`` secrets.
    """

    secrets: frozenset[str] = frozenset()
    passed: frozenset[str] = frozenset()

    def hides(self, name: str) -> bool:
        """Whether ``name`` is kept from the child."""
        if name in self.passed:
            return False
        return name in self.secrets or is_bkctl_secret(name)

    def variables(self, extra: Mapping[str, str] | None = None, *,
                  environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The child's environment: ``environ`` (default: ours, read now) scrubbed, then ``extra``."""
        source = os.environ if environ is None else environ
        kept = {name: value for name, value in source.items() if not self.hides(name)}
        return {**kept, **(extra or {})}


def secret_variables(manifest: Manifest) -> frozenset[str]:
    """Every environment variable this manifest tells bkctl to read a secret from."""
    names = {"BKCTL_PASSPHRASE"}
    encryptions = [manifest.encryption, *(target.encryption for target in manifest.targets.values())]
    names.update(e.passphrase_env for e in encryptions if e is not None and e.passphrase_env)
    for target in manifest.targets.values():
        if isinstance(target, VaultTarget):
            names.update(n for n in (target.key_env, target.secret_env) if n)
    for workload in manifest.workloads.values():
        if isinstance(workload, PostgresWorkload | MariadbWorkload) and workload.password_env:
            names.add(workload.password_env)
    return frozenset(names)


def child_environment(manifest: Manifest, workload: str) -> ChildEnvironment:
    """The environment rules for the children of one workload of ``manifest``."""
    passed = manifest.workloads[workload].pass_env
    return ChildEnvironment(secret_variables(manifest), frozenset(passed))
