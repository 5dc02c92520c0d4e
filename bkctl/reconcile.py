"""Carrying a plan out: each action through its target driver, in the plan's safe order.

The planner already orders actions (init, backups, copies, prunes, reclaim, verify). Here
we add what only apply knows: a target whose init failed gets no backups; prunes on a
target are skipped when one of its backups failed in this run (never thin history while
the fresh point is missing); independent failures do not stop the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bkctl.archiver.progress import Progress
from bkctl.errors import BkctlError, ExitCode, UsageError
from bkctl.model.plan import Action, ActionKind, Plan, WarningKind, combined_exit_code
from bkctl.model.state import PointRecord
from bkctl.sources.environment import child_environment
from bkctl.sources.hooks import hooks_around
from bkctl.workspace import Workspace

__all__ = ["Reporter", "Outcome", "ApplyResult", "apply_plan", "MassPruneError", "HANDLERS"]

Made = dict[tuple[str, str], list[PointRecord]]
"""(workload, target) -> the points backups made in this run."""

Handler = Callable[[Workspace, Action, Progress | None, Made], str]
"""Carries out one action through its target's driver; returns the message for the reporter."""


class MassPruneError(UsageError):
    reference = "mass-prune"


class Reporter(Protocol):
    def started(self, action: Action) -> Progress | None: ...

    def finished(self, action: Action, message: str) -> None: ...

    def failed(self, action: Action, message: str, hint: str = "") -> None: ...


@dataclass(frozen=True)
class Outcome:
    """What one action came to. A failure keeps its error's hint apart from the message
    (printed on a line of its own) and its exit code (README's table), 0 when it succeeded."""

    action: Action
    ok: bool
    message: str
    hint: str = ""
    exit_code: int = 0


@dataclass
class ApplyResult:
    outcomes: list[Outcome] = field(default_factory=list)
    made: Made = field(default_factory=dict)  # the points this run's backups made (for summaries)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def exit_code(self) -> int:
        """0 when every action succeeded; else the failures' own code when they all share
        one (70 for a missing pg_dump), or 1 when they differ (see combined_exit_code)."""
        return combined_exit_code(o.exit_code or ExitCode.ERROR for o in self.failed)

    def summary(self) -> str:
        done = sum(o.ok for o in self.outcomes)
        text = f"Apply complete: {done} action{'s' if done != 1 else ''} done"
        return text + (f", {len(self.failed)} failed." if self.failed else ".")


def apply_plan(workspace: Workspace, plan: Plan, reporter: Reporter, *, allow_mass_prune: bool = False) -> ApplyResult:
    """Execute every action; failures are recorded, not raised, so the rest still runs."""
    if plan.needs_confirmation and not allow_mass_prune:
        reasons = [w.message for w in plan.warnings if w.kind == WarningKind.MASS_PRUNE]
        raise MassPruneError(
            "; ".join(reasons) or "the plan needs --allow-mass-prune",
            hint="review the plan, then re-run with --allow-mass-prune",
        )
    result = ApplyResult()
    broken: dict[str, Outcome] = {}  # target -> the failure that broke it in this run
    made = result.made  # (workload, target) -> points made in this run
    for action in plan.actions:
        blocked = _blocked(action, broken)
        if blocked is not None:
            reporter.failed(action, blocked.message)
            result.outcomes.append(blocked)
            continue
        progress = reporter.started(action)
        try:
            message = _run(workspace, action, progress, made)
        except BkctlError as error:
            failure = Outcome(action, False, _one_line(error), error.hint, int(error.exit_code))
            broken.setdefault(action.target, failure)
            reporter.failed(action, failure.message, failure.hint)
            result.outcomes.append(failure)
            continue
        reporter.finished(action, message)
        result.outcomes.append(Outcome(action, True, message))
    return result


def _one_line(error: BkctlError) -> str:
    """The error without its hint (the reporter shows that on a line of its own)."""
    text = f"{error.context}: {error.message}" if error.context else error.message
    return text.replace("\n", " ")


def _blocked(action: Action, broken: dict[str, Outcome]) -> Outcome | None:
    """A skip (with the cause's exit code) for actions an earlier failure makes unsafe or futile.

    After a failed init nothing else can work on that target, and trying would only add a
    second error telling the user to run the command they just ran; after any other
    failure prunes and reclaims wait, so history is never thinned while a point is missing.
    """
    for name in (action.target, action.source):
        cause = broken.get(name or "")
        if cause is None:
            continue
        if cause.action.kind == ActionKind.INIT_TARGET:
            text = f"skipped: initialising target '{name}' failed"
        elif action.kind in (ActionKind.PRUNE, ActionKind.RECLAIM) and name == action.target:
            text = f"skipped: an earlier action on target '{name}' failed in this run"
        else:
            continue
        return Outcome(action, False, text, exit_code=cause.exit_code)
    return None


def _run(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> str:
    handler = HANDLERS.get(action.kind)
    if handler is None:
        raise BkctlError(f"action '{action.kind}' is not supported by this version of bkctl")
    return handler(workspace, action, progress, made)


def _init(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> str:
    workspace.driver(action.target).init()
    return "repository initialised"


def _backup(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> str:
    assert action.workload is not None
    driver = workspace.driver(action.target)
    spec = workspace.manifest.workloads[action.workload]
    with hooks_around(spec.hooks, workload=action.workload, target=action.target,
                      environment=child_environment(workspace.manifest, action.workload)):
        record = driver.backup(workspace.backup_job(action.workload), progress)
    made.setdefault((action.workload, action.target), []).append(record)
    return f"recovery point {record.id[:12]}" + (" (partial)" if record.partial else "")


def _copy(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> str:
    """Copy the planned points plus those this run's backup into the source just made.

    A point made by a backup in this apply had no id when the plan was made; its id comes
    from the backup's outcome (data, never the reason text). A failed backup simply adds
    nothing here.
    """
    assert action.source is not None and action.workload is not None
    source, replica = workspace.driver(action.source), workspace.driver(action.target)
    ids = [p.id for p in action.points] + [r.id for r in made.get((action.workload, action.source), [])]
    if not ids:
        return "nothing to copy (no new recovery point was made)"
    stats = source.copy_points_to(replica, ids)
    count = stats.points_copied
    return (f"{count} recovery point{'s' if count != 1 else ''} copied from '{action.source}' "
            f"({stats.blobs_new} new blobs, {stats.blobs_present} already there)")


def _prune(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> str:
    workspace.driver(action.target).delete_points([p.id for p in action.points])
    return f"{len(action.points)} recovery point{'s' if len(action.points) != 1 else ''} deleted"


def _reclaim(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> str:
    return workspace.driver(action.target).reclaim().describe()


def _verify(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> str:
    result = workspace.driver(action.target).verify(action.read_data or 0.0, progress)
    if not result.ok:
        raise BkctlError("; ".join(result.problems[:5]), context=f"verify of target '{action.target}'")
    return "repository verified"


HANDLERS: dict[ActionKind, Handler] = {
    ActionKind.INIT_TARGET: _init,
    ActionKind.BACKUP: _backup,
    ActionKind.COPY: _copy,
    ActionKind.PRUNE: _prune,
    ActionKind.RECLAIM: _reclaim,
    ActionKind.VERIFY: _verify,
}
"""One handler per action kind (tests/unit/test_reconcile.py fails when a kind has none)."""
