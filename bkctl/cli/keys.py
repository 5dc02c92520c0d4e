"""``bkctl keys``: several passphrases may open one repository; add, list, remove, change."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.table import Table

from bkctl import operations
from bkctl.cli.console import is_interactive, out
from bkctl.cli.options import ManifestOption
from bkctl.errors import PassphraseError, UsageError
from bkctl.secrets import Secret, read_passphrase
from bkctl.workspace import Workspace

__all__ = ["app"]

app = typer.Typer(help="Manage the passphrases (keys) that open a repository.", no_args_is_help=True)

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
def list_keys(target: TargetOption, manifest: ManifestOption = None) -> None:
    """List the keys of a repository (the one in use is marked)."""
    with Workspace.load(manifest) as workspace:
        repository = operations.key_ring(workspace, target)
        table = Table("", "id", "created (UTC)", "host", "user")
        for key in repository.list_keys():
            table.add_row("*" if key.id == repository.key_in_use() else "", key.id[:12],
                          key.created.strftime("%Y-%m-%d %H:%M:%S"), key.host, key.user)
    out.print(table)


@app.command("add")
def add(target: TargetOption, new_passphrase_env: NewEnvOption = None, new_passphrase_file: NewFileOption = None,
        manifest: ManifestOption = None) -> None:
    """Add a passphrase that opens the repository too."""
    with Workspace.load(manifest) as workspace:
        key_id = operations.key_ring(workspace, target).add_key(_new_secret(new_passphrase_env, new_passphrase_file))
    out.print(f"added key {key_id[:12]}")


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
    out.print(f"removed key {matches[0][:12]}")


@app.command("passwd")
def passwd(target: TargetOption, new_passphrase_env: NewEnvOption = None, new_passphrase_file: NewFileOption = None,
           manifest: ManifestOption = None) -> None:
    """Change the passphrase of the key in use (update your passphrase source afterwards)."""
    with Workspace.load(manifest) as workspace:
        operations.key_ring(workspace, target).change_passphrase(_new_secret(new_passphrase_env, new_passphrase_file))
    out.print("passphrase changed; update the manifest's passphrase source to the new one")

