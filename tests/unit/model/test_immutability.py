"""``immutable`` on vault targets: only where bkctl can enforce S3 Object Lock, never silently."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bkctl.model.target import VaultTarget

CREDENTIALS = {"key_env": "K", "secret_env": "S"}


def vault(provider: str, **extra: object) -> VaultTarget:
    fields: dict[str, object] = {"type": "vault", "provider": provider, "container": "backups", **extra}
    if provider == "local":
        fields["path"] = "vault"
    else:
        fields.update(CREDENTIALS)
    return VaultTarget.model_validate(fields)


def test_an_s3_vault_takes_days_and_defaults_to_compliance_mode() -> None:
    target = vault("s3", immutable={"days": 30})
    assert target.immutable is not None and target.immutable.days == 30 and target.immutable.mode == "compliance"
    assert vault("minio", immutable={"days": 1, "mode": "governance"}).immutable is not None


@pytest.mark.parametrize(("provider", "why"), [
    ("azure_blobs", "Azurite emulator implements none"),
    ("local", "plain folder"),
    ("google_storage", "no object lock"),
])
def test_providers_that_cannot_enforce_object_lock_are_refused_with_the_reason(provider: str, why: str) -> None:
    with pytest.raises(ValidationError) as caught:
        vault(provider, immutable={"days": 30})
    text = str(caught.value)
    assert f"'immutable' cannot be enforced on provider '{provider}'" in text and why in text


@pytest.mark.parametrize("immutable", [{"days": 0}, {"days": 30, "mode": "legal-hold"}, {"days": 30, "extra": 1}])
def test_bad_immutability_settings_are_refused(immutable: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        vault("s3", immutable=immutable)
