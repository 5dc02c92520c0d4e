"""YAML manifests -> validated Manifest, with file:line:field for every problem."""

from bkctl.manifest.discovery import find_manifest
from bkctl.manifest.loader import LoadedManifest, available_policies, load_manifest, load_policy_file

__all__ = ["LoadedManifest", "available_policies", "find_manifest", "load_manifest", "load_policy_file"]
