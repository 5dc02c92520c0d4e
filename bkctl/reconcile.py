"""Carrying a plan out: each action through its target driver, in the plan's safe order.

The planner already orders actions (init, backups, copies, prunes, extend-lock, reclaim, verify). Here
we add what only apply knows: a target whose init failed gets no backups; prunes on a
target are skipped when one of its backups failed in this run (never thin history while
the fresh point is missing); independent failures do not stop the rest.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from bkctl.archiver.progress import Progress
from bkctl.errors import BkctlError, ExitCode, UsageError
from bkctl.model.plan import Action, ActionKind, Plan, WarningKind, combined_exit_code
from bkctl.model.runs import DrillResult, RunRecord, RunStep
from bkctl.sources.environment import child_environment
from bkctl.sources.hooks import hooks_around
from bkctl.targets.base import KeyRing, LockHolder, RunLog, Target
from bkctl.targets.drill import run_drill
from bkctl.targets.media import MediaLibrary
from bkctl.workspace import Workspace

__all__ = ["Reporter", "Outcome", "Done", "ApplyResult", "apply_plan", "MassPruneError", "HANDLERS"]

Made = dict[tuple[str, str], list[str]]
"""(workload, target) -> ids of the points backups made in this run."""



@dataclass(frozen=True)
class Done:
    """What a handler reports beyond its message: the facts a run record keeps.

    A handler may return a plain message instead; ``ok`` false is a failure that still
    has facts to record (a drill whose checks failed).
    """

    message: str
    ok: bool = True
    bytes: int = 0
    stored_bytes: int = 0
    point: str = ""
    drill: DrillResult | None = None


Handler = Callable[[Workspace, Action, Progress | None, Made], "str | Done"]
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
    seconds: float = 0.0
    done: Done | None = None


@dataclass
class ApplyResult:
    outcomes: list[Outcome] = field(default_factory=list)

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
    made: dict[tuple[str, str], list[str]] = {}  # (workload, target) -> points made in this run
    started = datetime.now(UTC)
    for action in plan.actions:
        blocked = _blocked(action, broken)
        if blocked is not None:
            reporter.failed(action, blocked.message)
            result.outcomes.append(blocked)
            continue
        result.outcomes.append(_carry_out(workspace, action, reporter, made, broken))
    record_runs(workspace, result, started)
    return result


def _carry_out(workspace: Workspace, action: Action, reporter: Reporter, made: Made,
               broken: dict[str, Outcome]) -> Outcome:
    """One action, timed; a failure is recorded in ``broken`` for the actions after it."""
    progress = reporter.started(action)
    begun = time.monotonic()
    try:
        answer = _run(workspace, action, progress, made)
    except BkctlError as error:
        failure = Outcome(action, False, _one_line(error), error.hint, int(error.exit_code),
                          seconds=time.monotonic() - begun)
        broken.setdefault(action.target, failure)
        reporter.failed(action, failure.message, failure.hint)
        return failure
    done = answer if isinstance(answer, Done) else Done(answer)
    outcome = Outcome(action, done.ok, done.message, exit_code=0 if done.ok else int(ExitCode.ERROR),
                      seconds=time.monotonic() - begun, done=done)
    if done.ok:
        reporter.finished(action, done.message)
    else:
        reporter.failed(action, done.message)
    return outcome


def record_runs(workspace: Workspace, result: ApplyResult, started: datetime) -> list[str]:
    """Append one run record to every target this run acted on; returns the targets that
    could not take theirs (a record is history, never a reason to fail the apply)."""
    by_target: dict[str, list[Outcome]] = {}
    for outcome in result.outcomes:
        by_target.setdefault(outcome.action.target, []).append(outcome)
    missed = []
    for target, outcomes in sorted(by_target.items()):
        record = RunRecord(id=secrets.token_hex(16), time=started, host=workspace.host, target=target,
                           seconds=round(sum(o.seconds for o in outcomes), 3), steps=tuple(map(_step, outcomes)))
        try:
            driver = workspace.driver(target)
            if isinstance(driver, RunLog) and driver.initialized():
                driver.record_run(record)
        except (BkctlError, OSError):
            missed.append(target)
    return missed


def _step(outcome: Outcome) -> RunStep:
    done = outcome.done or Done(outcome.message)
    return RunStep(kind=str(outcome.action.kind), workload=outcome.action.workload, ok=outcome.ok,
                   message=outcome.message[:500], seconds=round(outcome.seconds, 3), bytes=done.bytes,
                   stored_bytes=done.stored_bytes, point=done.point, drill=done.drill)


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


def _run(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> str | Done:
    handler = HANDLERS.get(action.kind)
    if handler is None:
        raise BkctlError(f"action '{action.kind}' is not supported by this version of bkctl")
    return handler(workspace, action, progress, made)


def _init(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> str:
    driver = workspace.driver(action.target)
    driver.init()
    return "tape library ready" if isinstance(driver, MediaLibrary) else "repository initialised"


def _backup(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> Done:
    assert action.workload is not None
    driver = workspace.driver(action.target)
    spec = workspace.manifest.workloads[action.workload]
    with hooks_around(spec.hooks, workload=action.workload, target=action.target,
                      environment=child_environment(workspace.manifest, action.workload)):
        record = driver.backup(workspace.backup_job(action.workload), progress)
    made.setdefault((action.workload, action.target), []).append(record.id)
    message = f"recovery point {record.id[:12]}" + (" (partial)" if record.partial else "")
    return Done(message, bytes=record.bytes, stored_bytes=record.stored_bytes, point=record.id)


def _copy(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> str:
    """Copy the planned points plus those this run's backup into the source just made.

    A point made by a backup in this apply had no id when the plan was made; its id comes
    from the backup's outcome (data, never the reason text). A failed backup simply adds
    nothing here.
    """
    assert action.source is not None and action.workload is not None
    source, replica = workspace.driver(action.source), workspace.driver(action.target)
    ids = [p.id for p in action.points]
    if action.pool is not None:  # a GFS copy onto tape: into the pool the plan chose, only the points named
        replica = _library(workspace, action.target).into_pool(action.pool)
    else:
        ids += made.get((action.workload, action.source), [])
    if not ids:
        return "nothing to copy (no new recovery point was made)"
    stats = source.copy_points_to(replica, ids)
    count = stats.points_copied
    return (f"{count} recovery point{'s' if count != 1 else ''} copied from '{action.source}' "
            f"({stats.blobs_new} new blobs, {stats.blobs_present} already there; "
            f"{stats.chunks_read} chunks read from the source)")


def _prune(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> str:
    workspace.driver(action.target).delete_points([p.id for p in action.points])
    return f"{len(action.points)} recovery point{'s' if len(action.points) != 1 else ''} deleted"


def _extend_lock(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> str:
    """Lengthen the object lock of the listed points (and of what they need) to each one's ``lock_until``."""
    driver = workspace.driver(action.target)
    if not isinstance(driver, LockHolder):
        raise UsageError(f"target '{action.target}' does not lock its recovery points")
    until = {p.id: p.lock_until for p in action.points if p.lock_until is not None}
    return driver.extend_locks(until).describe()


def _reencrypt(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> str:
    driver = workspace.driver(action.target)
    if not isinstance(driver, KeyRing):
        raise UsageError(f"target '{action.target}' has no repository keys to rotate")
    return driver.reencrypt()


def _reclaim(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> str:
    return workspace.driver(action.target).reclaim().describe()


def _verify(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> str:
    result = workspace.driver(action.target).verify(action.read_data or 0.0, progress)
    if not result.ok:
        raise BkctlError("; ".join(result.problems[:5]), context=f"verify of target '{action.target}'")
    return "repository verified"


def _drill(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> Done:
    """Restore the planned point into scratch space, check it, and record the time it took."""
    assert action.workload is not None and action.points
    driver = workspace.driver(action.target)
    wanted = action.points[0].id
    point = next((p for p in driver.points() if p.id == wanted), None)
    if point is None:
        raise BkctlError(f"recovery point {wanted[:12]} is no longer in target '{action.target}'",
                         hint="run `bkctl plan` again")
    drill = workspace.manifest.policy_for(action.workload).drill
    objective = drill.rto.fixed().total_seconds() if drill is not None else None
    result = run_drill(driver, workspace.manifest.workloads[action.workload], point,
                       child_environment(workspace.manifest, action.workload), objective_seconds=objective)
    if not result.ok:
        text = f"point {point.id[:12]} failed its checks after {result.seconds:.2f}s: {'; '.join(result.checks[:3])}"
        return Done(text, ok=False, bytes=point.bytes, point=point.id, drill=result)
    goal = "" if objective is None else f" ({'over' if result.breached else 'within'} the objective of {objective:g}s)"
    text = f"point {point.id[:12]} restored and checked in {result.seconds:.2f}s{goal}: {'; '.join(result.checks[:3])}"
    return Done(text, ok=result.ok, bytes=point.bytes, point=point.id, drill=result)


def _library(workspace: Workspace, name: str) -> MediaLibrary:
    driver: Target = workspace.driver(name)
    if not isinstance(driver, MediaLibrary):
        raise UsageError(f"target '{name}' has no cartridges")
    return driver


def _cartridges(count: int, verb: str) -> str:
    return f"{count} cartridge{'s' if count != 1 else ''} {verb}"


def _label(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> str:
    return _cartridges(len(_library(workspace, action.target).label(list(action.cartridges) or None)), "labelled")


def _import(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> str:
    return _cartridges(len(_library(workspace, action.target).import_(list(action.cartridges))), "imported")


def _recycle(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> str:
    library = _library(workspace, action.target)
    for barcode in action.cartridges:
        library.recycle(barcode, [p.id for p in action.points])
    return _cartridges(len(action.cartridges), "recycled to scratch")


def _export(workspace: Workspace, action: Action, progress: Progress | None, made: Made) -> str:
    """The vault is the pool's ``offsite`` in the manifest (the plan names the pool, not the reason)."""
    spec = workspace.manifest.targets[action.target]
    pools = getattr(spec, "pools", {})
    vault = pools[action.pool].offsite if action.pool in pools else None
    if vault is None:
        raise UsageError(f"pool '{action.pool}' of target '{action.target}' names no vault ('offsite:')")
    moved = _library(workspace, action.target).export(list(action.cartridges), vault)
    return _cartridges(len(moved), f"exported to vault '{vault}'")


HANDLERS: dict[ActionKind, Handler] = {
    ActionKind.INIT_TARGET: _init,
    ActionKind.BACKUP: _backup,
    ActionKind.COPY: _copy,
    ActionKind.PRUNE: _prune,
    ActionKind.EXTEND_LOCK: _extend_lock,
    ActionKind.REENCRYPT: _reencrypt,
    ActionKind.RECLAIM: _reclaim,
    ActionKind.VERIFY: _verify,
    ActionKind.DRILL: _drill,
    ActionKind.LABEL_CARTRIDGE: _label,
    ActionKind.IMPORT_CARTRIDGE: _import,
    ActionKind.RECYCLE_CARTRIDGE: _recycle,
    ActionKind.EXPORT_CARTRIDGE: _export,
}
"""One handler per action kind (tests/unit/test_reconcile.py fails when a kind has none)."""
