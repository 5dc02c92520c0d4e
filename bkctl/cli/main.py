"""The bkctl command line: the one boundary where errors become messages and exit codes.

typer's pretty exceptions are off: they print local variables, which can hold secrets.
Unexpected exceptions print a short message; the traceback only with ``--debug``.
"""

from __future__ import annotations

import errno
import sys
from typing import Annotated

import typer

try:  # typer >= 0.20 vendors click; older releases use the click package itself
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover
    from click import exceptions as click_exceptions  # type: ignore[no-redef]

from bkctl import __version__
from bkctl.cli import (
    apply,
    backup,
    diff,
    drill,
    dump,
    find,
    forget,
    keys,
    ls,
    maintenance,
    mount,
    plan,
    points,
    policy,
    report,
    restore,
    schema,
    stats,
    status,
    tape,
    validate,
    verify,
)
from bkctl.cli.console import err
from bkctl.cli.errors import show_error
from bkctl.errors import BkctlError, ExitCode, StorageFullError

__all__ = ["app", "run"]

app = typer.Typer(
    name="bkctl",
    help="Backup as infrastructure: declare what to protect in YAML, then plan and apply.",
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
_options = {"debug": False}


def _version(value: bool) -> None:
    if value:
        print(f"bkctl {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of unexpected errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """bkctl: backup as infrastructure."""
    _options["debug"] = debug


app.command("validate")(validate.command)
app.command("plan")(plan.command)
app.command("apply")(apply.command)
app.command("status")(status.command)
app.command("report")(report.command)
app.command("backup")(backup.command)
app.command("drill")(drill.command)
app.command("points")(points.command)
app.command("restore")(restore.command)
app.command("verify")(verify.command)
app.command("reclaim")(maintenance.reclaim_command)
app.command("unlock")(maintenance.unlock_command)
app.add_typer(maintenance.repair_app, name="repair")
app.add_typer(keys.app, name="keys")
app.add_typer(policy.app, name="policy")
app.add_typer(tape.app, name="tape")
app.command("schema")(schema.command)
app.command("ls")(ls.command)
app.command("find")(find.command)
app.command("diff")(diff.command)
app.command("dump")(dump.command)
app.command("mount")(mount.command)
app.command("forget")(forget.command)
app.command("stats")(stats.command)


def run(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn every outcome into an exit code."""
    try:
        result = app(args=argv, standalone_mode=False)
    except BkctlError as error:
        show_error(error)
        return _exit(int(error.exit_code))
    except typer.Exit as done:
        return _exit(done.exit_code)
    except typer.Abort:
        err.print("Aborted.")
        return _exit(130)
    except click_exceptions.ClickException as error:
        error.show()
        return _exit(ExitCode.USAGE)
    except OSError as error:  # the file system said no: a user's problem to fix, not a bug
        translated = _os_error(error)
        show_error(translated)
        return _exit(translated.exit_code)
    except KeyboardInterrupt:
        err.print("Interrupted.")
        return _exit(130)
    except Exception as error:  # the last line of defence: no traceback unless --debug
        if _options["debug"] or "--debug" in sys.argv:
            raise
        err.print(f"[bold red]Internal error:[/] {type(error).__name__}: {error}")
        err.print("  [dim]hint: run again with --debug for the traceback, and report it[/]")
        return _exit(ExitCode.ERROR)
    return _exit(result if isinstance(result, int) else 0)


def _os_error(error: OSError) -> BkctlError:
    """An OSError as a BkctlError: the system's words and the path, a full disk its own code."""
    where = " -> ".join(str(p) for p in (error.filename, error.filename2) if p)
    text = f"{error.strerror or error}" + (f": {where}" if where else "")
    if error.errno == errno.ENOSPC:
        return StorageFullError(text, hint="free space on the target or the restore folder, then retry")
    return BkctlError(text)


def _exit(code: int | None) -> int:
    """The process exit code; the console script and ``python -m bkctl`` pass it to sys.exit."""
    return int(code or 0)
