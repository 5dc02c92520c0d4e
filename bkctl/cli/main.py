"""The bkctl command line: the one boundary where errors become messages and exit codes.

typer's pretty exceptions are off: they print local variables, which can hold secrets.
Unexpected exceptions print a short message; the traceback only with ``--debug``.

Global options (``--quiet``, ``--verbose``, ``--debug``) belong before the command in
click's grammar; :func:`run` also accepts them after it (``bkctl apply -q``), as restic
and git do, by moving them to the front. ``-h`` is ``--help`` on every command and group.
Shell completion is typer's own (``--install-completion``, ``--show-completion``).
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
from bkctl.cli.console import configure, err
from bkctl.cli.errors import show_error
from bkctl.errors import BkctlError, ExitCode, StorageFullError, UsageError

__all__ = ["app", "run"]

app = typer.Typer(
    name="bkctl",
    help="Backup as infrastructure: declare what to protect in YAML, then plan and apply.",
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
_options = {"debug": False}
GLOBAL_FLAGS = frozenset({"-q", "--quiet", "-v", "--verbose", "--debug"})


def _version(value: bool) -> None:
    if value:
        print(f"bkctl {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of unexpected errors.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and the final summary line.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also print a line per file and the debug log (on stderr).")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """bkctl: backup as infrastructure."""
    if quiet and verbose:
        raise UsageError("give --quiet or --verbose, not both")
    _options["debug"] = debug
    configure(quiet=quiet, verbose=verbose)


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


DEEPEST_TREE_FRAMES = 16_384
"""Walks of a file tree (backup, restore, ls, find, diff, verify) recurse a few frames per
directory level. A path a backup can open is at most PATH_MAX (4096) bytes, so no tree nests
deeper than 2048 levels; Python's default limit of 1000 frames stopped at about 300 levels."""


def run(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn every outcome into an exit code."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), DEEPEST_TREE_FRAMES))
    try:
        result = app(args=hoist_global_flags(sys.argv[1:] if argv is None else argv), standalone_mode=False)
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


def hoist_global_flags(argv: list[str]) -> list[str]:
    """Move ``-q``/``-v``/``--debug`` given after the command to the front, where click reads them.

    Only whole tokens before a ``--`` move; no option of bkctl takes one of these words
    as its value, so nothing a user meant as a value is taken away.
    """
    end = argv.index("--") if "--" in argv else len(argv)
    flags = [token for token in argv[:end] if token in GLOBAL_FLAGS]
    rest = [token for token in argv[:end] if token not in GLOBAL_FLAGS]
    return flags + rest + argv[end:]


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
