"""``before``/``after`` hook commands around a backup (quiesce, flush, snapshot).

Each phase is a list of commands run in order; an item is an argv list (run directly)
or a string (run by ``/bin/sh -c``). ``before`` stops at its first failure and the backup
is skipped; ``after`` runs in a ``finally``, every item, whether the backup or an earlier
``after`` item worked or not, and reports all its failures together. Hooks learn what they
run for from the environment: ``BKCTL_WORKLOAD``, ``BKCTL_TARGET``, ``BKCTL_HOOK``
(before/after) and, for ``after``, ``BKCTL_STATUS`` (success/failure). They never see the
secrets bkctl reads (see sources.environment) unless the workload passes them through.

``hook_problems`` finds, without running anything, the programs that would not start, so
``bkctl plan`` can warn before a backup is due.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from bkctl.errors import BkctlError
from bkctl.model import Hooks
from bkctl.sources.environment import ChildEnvironment

__all__ = ["HookFailedError", "SHELL", "argv_of", "run_hook", "run_phase", "hooks_around", "hook_problems"]

SHELL = "/bin/sh"
"""The shell of string hooks: POSIX sh at its fixed path, as cron and borgmatic use."""


class HookFailedError(BkctlError):
    reference = "hook-failed"


def argv_of(command: list[str] | str) -> list[str]:
    """What to execute: an argv list as written, a string through ``/bin/sh -c``."""
    return [SHELL, "-c", command] if isinstance(command, str) else list(command)


def _name(command: list[str] | str) -> str:
    return repr(command) if isinstance(command, str) else repr(command[0])


def run_hook(command: list[str] | str, *, timeout_seconds: float, env: dict[str, str], label: str) -> None:
    """Run one hook command with exactly ``env``; a non-zero exit, a timeout or a missing
    program is a HookFailedError naming the command (never its environment)."""
    argv = argv_of(command)
    try:
        result = subprocess.run(argv, env=env, timeout=timeout_seconds,
                                stdin=subprocess.DEVNULL, capture_output=True, check=False)
    except FileNotFoundError:
        raise HookFailedError(f"{label} hook: {argv[0]} is not installed or not on PATH") from None
    except PermissionError:
        raise HookFailedError(f"{label} hook: {argv[0]} is not executable") from None
    except subprocess.TimeoutExpired:
        raise HookFailedError(f"{label} hook {_name(command)} timed out after {timeout_seconds:g} s") from None
    if result.returncode != 0:
        tail = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise HookFailedError(f"{label} hook {_name(command)} exited with status {result.returncode}"
                              + (f": {tail[0]}" if tail[0] else ""))


def run_phase(commands: Sequence[list[str] | str], *, stop_at_failure: bool, timeout_seconds: float,
              env: dict[str, str], label: str) -> list[HookFailedError]:
    """Run the commands in order; raise at the first failure, or return every failure."""
    failures = []
    for command in commands:
        try:
            run_hook(command, timeout_seconds=timeout_seconds, env=env, label=label)
        except HookFailedError as failure:
            if stop_at_failure:
                raise
            failures.append(failure)
    return failures


@contextmanager
def hooks_around(hooks: Hooks | None, *, workload: str, target: str,
                 environment: ChildEnvironment) -> Iterator[None]:
    """Run ``before``, the body, then ``after`` (always, even when the body failed).

    When both the body and ``after`` fail, one HookFailedError names both and keeps the
    body's exit code, so a failed restart of a stopped service is never hidden behind the
    backup's own error (nor the other way round).
    """
    if hooks is None:
        yield
        return
    base = {"BKCTL_WORKLOAD": workload, "BKCTL_TARGET": target}
    timeout = hooks.timeout.fixed().total_seconds()
    label = f"workload '{workload}':"
    run_phase(hooks.before, stop_at_failure=True, timeout_seconds=timeout,
              env=environment.variables({**base, "BKCTL_HOOK": "before"}), label=f"{label} before")
    status, first = "failure", None
    try:
        yield
        status = "success"
    except BkctlError as error:
        first = error
        raise
    finally:
        env = environment.variables({**base, "BKCTL_HOOK": "after", "BKCTL_STATUS": status})
        failures = run_phase(hooks.after, stop_at_failure=False, timeout_seconds=timeout, env=env,
                             label=f"{label} after")
        # An interrupt or a bug keeps propagating as itself; the after failures were still run.
        if failures and (status == "success" or first is not None):
            raise _after_error(failures, first)


def _after_error(failures: list[HookFailedError], first: BkctlError | None) -> HookFailedError:
    """One error for every failed ``after`` command, after the body's own error if it had one."""
    messages = "; ".join(failure.message for failure in failures)
    if first is None:
        return HookFailedError(f"the backup finished, but {messages}")
    combined = HookFailedError(f"{first.message}; then {messages}", context=first.context, hint=first.hint)
    combined.exit_code = first.exit_code
    combined.__cause__ = first
    return combined


def hook_problems(hooks: Hooks | None, *, environment: ChildEnvironment) -> list[str]:
    """Why some hook command would not start, found without running it (for plan warnings).

    An argv list needs its program on the hooks' PATH (or, given as a path, executable); a
    string needs only ``/bin/sh``: what it calls is the shell's business.
    """
    if hooks is None:
        return []
    path = environment.variables().get("PATH", os.defpath)
    problems = []
    for phase, commands in (("before", hooks.before), ("after", hooks.after)):
        for command in commands:
            program = SHELL if isinstance(command, str) else command[0]
            problem = _program_problem(program, path)
            if problem:
                problems.append(f"{phase} hook {_name(command)}: {problem}")
    return list(dict.fromkeys(problems))


def _program_problem(program: str, path: str) -> str:
    if "/" in program:
        if not os.path.isfile(program):
            return f"{program} does not exist"
        return "" if os.access(program, os.X_OK) else f"{program} is not executable"
    return "" if shutil.which(program, path=path) else f"{program} is not installed or not on PATH"
