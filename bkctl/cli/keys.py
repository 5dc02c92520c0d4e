"""``bkctl keys``: several passphrases may open one repository; add, list, remove, change."""

from __future__ import annotations

import getpass
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from bkctl import operations
from bkctl.cli import console
from bkctl.cli.console import is_interactive
from bkctl.cli.options import JsonOption, ManifestOption
from bkctl.errors import PassphraseError, UsageError
from bkctl.secrets import Secret, read_passphrase
from bkctl.workspace import Workspace

__all__ = ["app"]

app = typer.Typer(help="Manage the passphrases (keys) that open a repository, and their roles.",
                  no_args_is_help=True)

TargetOption = Annotated[str, typer.Option("--target", help="Repository target.")]
NewEnvOption = Annotated[
    str | None, typer.Option("--new-passphrase-env", help="Read the new passphrase from this environment variable.")
]
NewFileOption = Annotated[
    str | None, typer.Option("--new-passphrase-file", help="Read the new passphrase from this file.")
]


def _new_secret(env: str | None, file: str | None) -> Secret:
    if env or file:
        return read_passphrase(env=env, file=file, owner="new passphrase")
    if not is_interactive():
        raise UsageError("no new passphrase given", hint="use --new-passphrase-env VAR or --new-passphrase-file FILE")
    first = getpass.getpass("New passphrase: ")
    if not first or first != getpass.getpass("Repeat: "):
        raise PassphraseError("the passphrases are empty or do not match")
    return Secret(first)


@app.command("list")
def list_keys(target: TargetOption, manifest: ManifestOption = None, as_json: JsonOption = False) -> None:
    """List the keys of a repository (the one in use is marked)."""
    console.use_json(as_json)
    with Workspace.load(manifest) as workspace:
        repository = operations.key_ring(workspace, target)
        keys, in_use = repository.list_keys(), repository.key_in_use()
    if as_json:
        console.emit_json({"target": target, "keys": [
            {"id": key.id, "role": key.role, "created": key.created.isoformat(), "host": key.host,
             "user": key.user, "in_use": key.id == in_use} for key in keys]})
    else:
        table = Table("", "id", "role", "created (UTC)", "host", "user")
        for key in keys:
            table.add_row("*" if key.id == in_use else "", key.id[:12], key.role,
                          key.created.strftime("%Y-%m-%d %H:%M:%S"), key.host, key.user)
        console.say(table)
    console.summary(f"{len(keys)} key{'' if len(keys) == 1 else 's'}; the one in use is marked")


class KeyRole(StrEnum):
    owner = "owner"
    manager = "manager"
    writer = "writer"


RoleOption = Annotated[KeyRole, typer.Option(
    "--role", help="owner: everything; manager: list, plan, prune and reclaim, not read file contents; "
    "writer: add backups only (cannot list file names, restore or delete).")]
HostOption = Annotated[str | None, typer.Option(
    "--host", help="A writer key's host: its points must name this host (default: this machine's name).")]


@app.command("add")
def add(target: TargetOption, new_passphrase_env: NewEnvOption = None, new_passphrase_file: NewFileOption = None,
        role: RoleOption = KeyRole.owner, host: HostOption = None, manifest: ManifestOption = None) -> None:
    """Add a key (a passphrase) of a role; only an owner key can."""
    with Workspace.load(manifest) as workspace:
        key_id = operations.key_ring(workspace, target).add_key(
            _new_secret(new_passphrase_env, new_passphrase_file), role.value, host)
    console.summary(f"added {role.value} key {key_id[:12]}")


@app.command("remove")
def remove(key_id: Annotated[str, typer.Argument(help="Key id (or unique prefix).")], target: TargetOption,
           manifest: ManifestOption = None) -> None:
    """Remove a key (never the last one, nor the one in use)."""
    with Workspace.load(manifest) as workspace:
        repository = operations.key_ring(workspace, target)
        matches = [k.id for k in repository.list_keys() if k.id.startswith(key_id)]
        if len(matches) != 1:
            raise UsageError(f"key id '{key_id}' matches {len(matches)} keys")
        repository.remove_key(matches[0])
    console.summary(f"removed key {matches[0][:12]}")


@app.command("passwd")
def passwd(target: TargetOption, new_passphrase_env: NewEnvOption = None, new_passphrase_file: NewFileOption = None,
           manifest: ManifestOption = None) -> None:
    """Change the passphrase of the key in use (re-wraps it: a leaked key stays valid; rotate to revoke)."""
    with Workspace.load(manifest) as workspace:
        operations.key_ring(workspace, target).change_passphrase(_new_secret(new_passphrase_env, new_passphrase_file))
    console.summary("passphrase changed (the key's secrets are only re-wrapped: this does not revoke a leaked "
                    "key; `bkctl keys rotate` does); update the manifest's passphrase source to the new one")



@app.command("rotate")
def rotate(target: TargetOption, finish: Annotated[bool, typer.Option(
               "--finish", help="Also re-encrypt now, instead of leaving it to the next apply.")] = False,
           manifest: ManifestOption = None) -> None:
    """Start a new key epoch: revoke what a leaked key knew (remove that key first; owner key only).

    New data is sealed under the new epoch at once; the plan then holds a re-encrypt action
    (reason key-rotation) that rewrites older data and retires the old epoch.
    """
    with Workspace.load(manifest) as workspace:
        ring = operations.key_ring(workspace, target)
        epoch = ring.rotate_keys()
        done = ring.reencrypt() if finish else ""
    if done:
        console.summary(f"key epoch {epoch} in use; {done}")
    else:
        console.summary(f"key epoch {epoch} in use for new data; `bkctl apply` re-encrypts older data "
                        "(action re-encrypt) and then retires the old epoch")


@app.command("upgrade")
def upgrade(target: TargetOption, manifest: ManifestOption = None) -> None:
    """Upgrade a repository made before key roles (format 2) to format 3, keeping its data.

    The passphrase in use becomes an owner key; other passphrases stop opening the repository
    and are added again with `keys add --role ...`. The plan then re-encrypts older data.
    """
    with Workspace.load(manifest) as workspace:
        key_id, dropped = operations.key_ring(workspace, target).upgrade_keys()
    others = (f"; {dropped} other passphrase{'s' if dropped != 1 else ''} no longer open it: add them again "
              "with `bkctl keys add --role ...`") if dropped else ""
    console.summary(f"repository upgraded to key roles: owner key {key_id[:12]}{others}; `bkctl apply` "
                    "re-encrypts the older data (action re-encrypt)")
