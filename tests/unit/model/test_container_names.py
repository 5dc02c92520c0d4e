"""Bucket and container names the provider would refuse are refused in the manifest, with the rule.

Before, a name such as ``b`` passed validation; ``bkctl apply`` then asked the storage
five times, slept between tries, and ended with "check that the storage endpoint is
up", which sends the operator to the wrong place.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bkctl.model.target import VaultTarget

CREDENTIALS = {"key_env": "K", "secret_env": "S"}


def vault(provider: str, container: str) -> VaultTarget:
    return VaultTarget.model_validate({"type": "vault", "provider": provider, "container": container, **CREDENTIALS})


@pytest.mark.parametrize("provider", ["s3", "s3_eu_west", "minio"])
@pytest.mark.parametrize(("container", "rule"), [
    ("b", "3 to 63 characters"),
    ("x" * 64, "3 to 63 characters"),
    ("Backups", "lowercase letters, digits, dots and hyphens"),
    ("my_backups", "lowercase letters, digits, dots and hyphens"),
    ("-backups", "begin and end with a letter or digit"),
    ("backups.", "begin and end with a letter or digit"),
    ("my..backups", "two dots in a row"),
    ("192.168.5.4", "IP address"),
])
def test_s3_bucket_names_outside_the_s3_rules_are_refused(provider: str, container: str, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        vault(provider, container)
    text = str(caught.value)
    assert f"bucket name {container!r}" in text and rule in text


@pytest.mark.parametrize(("container", "rule"), [
    ("ab", "3 to 63 characters"),
    ("Backups", "lowercase letters, digits and hyphens"),
    ("my.backups", "lowercase letters, digits and hyphens"),
    ("backups-", "begin and end with a letter or digit"),
    ("my--backups", "two hyphens in a row"),
])
def test_azure_container_names_outside_azures_rules_are_refused(container: str, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        vault("azure_blobs", container)
    text = str(caught.value)
    assert f"container name {container!r}" in text and rule in text


@pytest.mark.parametrize(("provider", "container"), [
    ("s3", "abc"), ("s3", "prod-backups.eu-1"), ("s3", "x" * 63), ("minio", "bkctl-0001"),
    ("azure_blobs", "abc"), ("azure_blobs", "prod-backups-2026"), ("azure_blobs", "0" * 63),
    # Providers whose rules bkctl does not know keep whatever the operator wrote.
    ("google_storage", "My_Bucket"), ("s3_rgw", "Legacy_Bucket"),
])
def test_names_within_the_rules_are_kept(provider: str, container: str) -> None:
    assert vault(provider, container).container == container


def test_the_cli_names_the_file_line_and_rule_and_exits_with_the_manifest_code(tmp_path: Path) -> None:
    manifest = tmp_path / "backup.yaml"
    manifest.write_text(
        "version: 1\n"
        "targets:\n"
        "  offsite:\n"
        "    type: vault\n"
        "    provider: s3\n"
        "    container: b\n"
        "    key_env: K\n"
        "    secret_env: S\n"
        "workloads: {}\n")
    result = subprocess.run([sys.executable, "-m", "bkctl", "validate", "-m", str(manifest)],
                            capture_output=True, text=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "backup.yaml:6:" in result.stderr and "targets.offsite.container" in result.stderr
    assert "bucket name 'b'" in result.stderr and "3 to 63 characters" in result.stderr
    assert "Traceback" not in result.stderr
