"""Bucket and container names each provider accepts, checked when the manifest is read.

A name the storage refuses would otherwise surface only at ``bkctl apply``, as a
"bad request" that reads like an outage. Only rules bkctl knows are checked: AWS S3's
(which MinIO follows) and Azure Blob Storage's. Other providers, and S3-compatible
servers with laxer rules (Ceph RGW), keep whatever the operator wrote.
"""

from __future__ import annotations

import ipaddress
import re

__all__ = ["container_name_problem"]

_S3_CHARACTERS = re.compile(r"[a-z0-9.-]+")
_AZURE_CHARACTERS = re.compile(r"[a-z0-9-]+")


def container_name_problem(provider: str, name: str) -> str | None:
    """Why ``provider`` would refuse ``name`` as its bucket or container, or None."""
    if provider == "azure_blobs":
        return _azure_problem(name)
    if provider in ("s3", "minio") or (provider.startswith("s3_") and not provider.startswith("s3_rgw")):
        return _s3_problem(name)
    return None


def _s3_problem(name: str) -> str | None:
    """AWS S3's rules for general purpose buckets."""
    why = _common_problem(name, _S3_CHARACTERS, "lowercase letters, digits, dots and hyphens")
    if why is None and ".." in name:
        why = "it must not hold two dots in a row"
    if why is None and _is_ip_address(name):
        why = "it must not be formatted as an IP address"
    return f"bucket name {name!r} is not one S3 accepts: {why}" if why else None


def _azure_problem(name: str) -> str | None:
    """Azure Blob Storage's rules for container names."""
    why = _common_problem(name, _AZURE_CHARACTERS, "lowercase letters, digits and hyphens")
    if why is None and "--" in name:
        why = "it must not hold two hyphens in a row"
    return f"container name {name!r} is not one Azure Blob Storage accepts: {why}" if why else None


def _common_problem(name: str, characters: re.Pattern[str], allowed: str) -> str | None:
    if not 3 <= len(name) <= 63:
        return f"it must be 3 to 63 characters long (it is {len(name)})"
    if not characters.fullmatch(name):
        return f"it may hold only {allowed}"
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "it must begin and end with a letter or digit"
    return None


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True
