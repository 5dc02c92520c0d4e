"""Child processes get bkctl's environment without the secrets bkctl reads, unless passed through."""

from __future__ import annotations

import pytest

from bkctl.model import Manifest
from bkctl.sources.environment import ChildEnvironment, child_environment, is_bkctl_secret, secret_variables
from bkctl.sources.tools import MissingPasswordError, child_env

MANIFEST = {
    "version": 1,
    "encryption": {"passphrase_env": "TOP_PASSPHRASE"},
    "targets": {
        "local": {"type": "disk", "path": "repo", "encryption": {"passphrase_env": "DISK_PASSPHRASE"}},
        "cloud": {"type": "vault", "provider": "s3", "container": "bucket", "key_env": "CLOUD_KEY",
                  "secret_env": "CLOUD_SECRET"},
        "keyfile": {"type": "disk", "path": "r2", "encryption": {"passphrase_file": "/etc/pass"}},
    },
    "workloads": {
        "db": {"type": "postgres", "server": "h", "password_env": "PG_APP_PASSWORD", "policy": "p",
               "targets": ["local"]},
        "shop": {"type": "mariadb", "server": "h", "password_env": "SHOP_PASSWORD", "policy": "p",
                 "targets": ["local"]},
        "out": {"type": "command", "command": ["env"], "policy": "p", "targets": ["local"],
                "pass_env": ["CLOUD_KEY"]},
    },
}

ENVIRON = {
    "PATH": "/usr/bin", "HOME": "/root", "BKCTL_CACHE_DIR": "/cache", "BKCTL_TEST_FAST_KDF": "1",
    "BKCTL_PASSPHRASE": "p1", "BKCTL_VAULT_SECRET": "p2", "BKCTL_API_TOKEN": "p3",
    "TOP_PASSPHRASE": "s1", "DISK_PASSPHRASE": "s2", "CLOUD_KEY": "s3", "CLOUD_SECRET": "s4",
    "PG_APP_PASSWORD": "s5", "SHOP_PASSWORD": "s6",
}


@pytest.fixture
def manifest() -> Manifest:
    return Manifest.model_validate(MANIFEST)


def test_the_manifest_lists_every_variable_it_reads_a_secret_from(manifest: Manifest):
    assert secret_variables(manifest) == {"BKCTL_PASSPHRASE", "TOP_PASSPHRASE", "DISK_PASSPHRASE", "CLOUD_KEY",
                                          "CLOUD_SECRET", "PG_APP_PASSWORD", "SHOP_PASSWORD"}


def test_a_child_sees_no_secret_and_everything_else(manifest: Manifest):
    seen = child_environment(manifest, "db").variables(environ=ENVIRON)
    assert seen == {"PATH": "/usr/bin", "HOME": "/root", "BKCTL_CACHE_DIR": "/cache", "BKCTL_TEST_FAST_KDF": "1"}


def test_pass_env_lets_the_named_secret_through_for_that_workload_only(manifest: Manifest):
    assert child_environment(manifest, "out").variables(environ=ENVIRON)["CLOUD_KEY"] == "s3"
    assert "CLOUD_SECRET" not in child_environment(manifest, "out").variables(environ=ENVIRON)
    assert "CLOUD_KEY" not in child_environment(manifest, "db").variables(environ=ENVIRON)


def test_without_a_manifest_the_bkctl_secrets_are_still_removed():
    seen = ChildEnvironment().variables(environ=ENVIRON)
    assert not {"BKCTL_PASSPHRASE", "BKCTL_VAULT_SECRET", "BKCTL_API_TOKEN"} & seen.keys()
    assert seen["TOP_PASSPHRASE"] == "s1"  # only a manifest says that this one is secret


@pytest.mark.parametrize(("name", "secret"), [("BKCTL_PASSPHRASE", True), ("BKCTL_DB_PASSWORD", True),
                                              ("BKCTL_S3_KEY", True), ("BKCTL_CACHE_DIR", False),
                                              ("BKCTL_WORKLOAD", False), ("MY_PASSPHRASE", False)])
def test_bkctl_variables_are_secret_by_the_words_in_their_names(name: str, secret: bool):
    assert is_bkctl_secret(name) is secret


def test_extra_variables_are_set_after_the_scrub():
    environment = ChildEnvironment(frozenset({"PGPASSWORD"}))
    seen = environment.variables({"PGPASSWORD": "own", "BKCTL_HOOK": "before"}, environ={"PGPASSWORD": "x"})
    assert seen == {"PGPASSWORD": "own", "BKCTL_HOOK": "before"}


def test_a_database_tool_gets_its_own_password_and_no_other_secret(manifest: Manifest, monkeypatch):
    for name, value in ENVIRON.items():
        monkeypatch.setenv(name, value)
    env = child_env(variable="PGPASSWORD", password_env="PG_APP_PASSWORD", inline_password=None,
                    environment=child_environment(manifest, "db"))
    assert env["PGPASSWORD"] == "s5"
    assert not {"PG_APP_PASSWORD", "SHOP_PASSWORD", "BKCTL_PASSPHRASE", "CLOUD_SECRET", "TOP_PASSPHRASE"} & env.keys()


def test_a_password_env_that_is_unset_is_still_an_error(manifest: Manifest, monkeypatch):
    monkeypatch.delenv("PG_APP_PASSWORD", raising=False)
    with pytest.raises(MissingPasswordError, match="PG_APP_PASSWORD"):
        child_env(variable="PGPASSWORD", password_env="PG_APP_PASSWORD", inline_password=None,
                  environment=child_environment(manifest, "db"))
