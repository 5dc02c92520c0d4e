"""The manifest: targets, policies and workloads, as one validated, immutable value."""

from __future__ import annotations

from typing import Literal

from bkctl.model.base import Name, Strict, described
from bkctl.model.fields import DurationField
from bkctl.model.policy import Policy
from bkctl.model.protection import ProtectionRule
from bkctl.model.target import Encryption, Target
from bkctl.model.units import parse_duration
from bkctl.model.workload import Workload

__all__ = ["Settings", "Manifest", "MANIFEST_VERSION"]

MANIFEST_VERSION = 1


class Settings(Strict):
    """Knobs that apply to the whole manifest."""

    max_prune_per_apply: int = described(
        "Largest number of recovery points one apply may delete without --allow-mass-prune.",
        50,
        default=50,
        ge=1,
    )
    host: str | None = described(
        "Host name recorded in recovery points (defaults to this machine's name).", "web-01", default=None
    )
    cache_dir: str | None = described(
        "Local cache folder (safe to delete); defaults to ~/.cache/bkctl.", "/var/cache/bkctl", default=None
    )
    reclaim_grace: DurationField = described(
        "How long data marked unreferenced by one reclaim waits before a later reclaim deletes it "
        "(it also waits for every run that was active when it was marked).",
        "1h",
        default_factory=lambda: parse_duration("1h"),
    )


class Manifest(Strict):
    """Desired state: what is protected, where copies live, how often, how long."""

    version: Literal[1] = described("Manifest format version.", 1)
    settings: Settings = described("Manifest-wide settings.", {"max_prune_per_apply": 50}, default_factory=Settings)
    encryption: Encryption | None = described(
        "Default passphrase source for every disk and vault target.",
        {"passphrase_env": "BKCTL_PASSPHRASE"},
        default=None,
    )
    targets: dict[Name, Target] = described(
        "Where recovery points are stored, by name.", {"local": {"type": "disk", "path": "backups"}},
        default_factory=dict,
    )
    policies: dict[Name, Policy] = described(
        "Named policies; names not defined here come from policies/ beside the manifest or the "
        "shipped library.",
        {"hourly-db": {"schedule": {"every": "1h"}, "retention": {"hourly": 48, "daily": 30}}},
        default_factory=dict,
    )
    workloads: dict[Name, Workload] = described(
        "What is protected, by name.",
        {"etc": {"type": "files", "paths": ["/etc"], "policy": "standard", "targets": ["local"]}},
        default_factory=dict,
    )

    protection: ProtectionRule | None = described(
        "Copies every workload must have: copies-media-offsite[-immutable[-0 verify errors]], e.g. "
        "3-2-1-1-0 or 3-2-1; plan warns about each letter the actual copies fail (a workload's own "
        "'protection' overrides this).",
        "3-2-1-1-0",
        default=None,
    )

    def policy_for(self, workload: str) -> Policy:
        """The resolved policy of a workload (the loader guarantees it exists)."""
        return self.policies[self.workloads[workload].policy]

    def protection_for(self, workload: str) -> str | None:
        """The protection rule a workload must meet: its own, else the manifest's, else none."""
        return self.workloads[workload].protection or self.protection


