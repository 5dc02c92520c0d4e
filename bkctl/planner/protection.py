"""The 3-2-1-1-0 rule checked against the copies that really exist.

Copies are counted from the observed state, not from the manifest: a target counts for a
workload when it holds a good recovery point of it (the workload's own data is the first
copy). Media classes, off-site locations and immutability come from each target's
placement (bkctl/model/protection.py); a point the driver reports as offline (an exported
cartridge) or immutable (WORM, object lock) makes its copy count as immutable or offline
whatever the declaration. A vault with ``immutable`` counts through its points' object locks
(while one has not ended), never through the declaration alone. The ``0`` asks that every
copy was verified clean recently: no damaged point, the last verify in the run records
not failed, and a verify within twice the policy's verify interval (30 days when it sets none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bkctl.model.manifest import Manifest
from bkctl.model.plan import PlanWarning, WarningKind
from bkctl.model.protection import HOME_LOCATION, ProtectionLetter, ProtectionVerdict, parse_rule
from bkctl.model.state import ActualState, TargetState
from bkctl.planner.wording import format_age

__all__ = ["evaluate_protection", "protection_warning", "protection_warnings", "VERIFY_WINDOW"]

VERIFY_WINDOW = timedelta(days=30)
"""How recent a clean verify must be when the policy sets no verify interval."""

_NAMES = {"copies": "copies", "media": "media", "offsite": "off-site", "immutable": "immutable or offline",
          "verify": "verify errors"}


def evaluate_protection(manifest: Manifest, state: ActualState, workload: str, owner: str,
                        now: datetime) -> ProtectionVerdict | None:
    """The workload's rule, letter by letter; None when it requires none."""
    rule = manifest.protection_for(workload)
    if rule is None:
        return None
    numbers = parse_rule(rule)
    copies = [t for _, t in sorted(state.targets.items()) if _holds(t, workload, owner)]
    letters = [_copies(copies, numbers.copies), _media(manifest, copies, numbers.media),
               _offsite(manifest, copies, numbers.offsite)]
    if numbers.immutable is not None:
        letters.append(_immutable(manifest, copies, workload, owner, numbers.immutable, now))
    if numbers.verify_errors:
        letters.append(_verified(manifest, copies, workload, now))
    return ProtectionVerdict(workload=workload, rule=rule, letters=tuple(letters))


def protection_warning(verdict: ProtectionVerdict) -> PlanWarning | None:
    failing = verdict.failing()
    if not failing:
        return None
    parts = "; ".join(f"{letter.required} {_NAMES[letter.letter]} ({letter.why})" for letter in failing)
    return PlanWarning(kind=WarningKind.PROTECTION, workload=verdict.workload,
                       message=f"workload '{verdict.workload}' does not meet {verdict.rule}: missing {parts}")


def protection_warnings(manifest: Manifest, state: ActualState, owners: Mapping[str, str],
                        now: datetime) -> list[PlanWarning]:
    """One warning per workload whose rule fails, naming the failing letters (workload order)."""
    found = []
    for workload, owner in sorted(owners.items()):
        verdict = evaluate_protection(manifest, state, workload, owner, now)
        warning = protection_warning(verdict) if verdict is not None else None
        if warning is not None:
            found.append(warning)
    return found


def _holds(target: TargetState, workload: str, owner: str) -> bool:
    return target.reachable and any(not p.partial for p in target.points_of(workload, owner))


def _letter(name: str, required: int, found: int, why: str) -> ProtectionLetter:
    return ProtectionLetter(letter=name, required=required, found=found, ok=found >= required, why=why)


def _copies(copies: Sequence[TargetState], required: int) -> ProtectionLetter:
    names = ["production", *(t.name for t in copies)]
    return _letter("copies", required, len(names), f"has {len(names)}: {', '.join(names)}")


def _media(manifest: Manifest, copies: Sequence[TargetState], required: int) -> ProtectionLetter:
    classes = sorted({manifest.targets[t.name].media_class() for t in copies if t.name in manifest.targets})
    return _letter("media", required, len(classes), f"has {len(classes)}: {', '.join(classes) or 'none'}")


def _offsite(manifest: Manifest, copies: Sequence[TargetState], required: int) -> ProtectionLetter:
    away = [f"{t.name} at {manifest.targets[t.name].location()}" for t in copies
            if t.name in manifest.targets and manifest.targets[t.name].location() != HOME_LOCATION]
    return _letter("offsite", required, len(away), f"has {len(away)}: {', '.join(away)}" if away
                   else f"no copy outside site '{HOME_LOCATION}'")


def _still_immutable(target: TargetState, now: datetime) -> set[str]:
    """The points reported immutable, less those whose object lock has ended by ``now``
    (a plan made ``--now`` in the future sees the locks that will have lapsed by then)."""
    locks = target.object_locks
    return {p for p in target.immutable_points if p not in locks or locks[p] > now}


def _immutable(manifest: Manifest, copies: Sequence[TargetState], workload: str, owner: str,
               required: int, now: datetime) -> ProtectionLetter:
    found = []
    for target in copies:
        declared = target.name in manifest.targets and manifest.targets[target.name].placement.immutable
        mine = {p.id for p in target.points_of(workload, owner) if not p.partial}
        observed = mine & (set(target.offline_points) | _still_immutable(target, now))
        if declared or observed:
            found.append(target.name)
    return _letter("immutable", required, len(found), f"has {len(found)}: {', '.join(found)}" if found
                   else "no copy is immutable or offline")


def _verified(manifest: Manifest, copies: Sequence[TargetState], workload: str, now: datetime) -> ProtectionLetter:
    verify = manifest.policy_for(workload).verify
    window = verify.every.fixed() * 2 if verify is not None else VERIFY_WINDOW
    problems = [problem for t in copies if (problem := _verify_problem(t, window, now))]
    why = "; ".join(problems) if problems else f"every copy verified clean within {format_age(window)}"
    return ProtectionLetter(letter="verify", required=0, found=len(problems), ok=not problems, why=why)


def _verify_problem(target: TargetState, window: timedelta, now: datetime) -> str:
    if target.damaged_points:
        return f"{target.name} has {len(target.damaged_points)} damaged points"
    verifies = [step for record in target.runs for step in record.steps if step.kind == "verify"]
    if verifies and not verifies[-1].ok:
        return f"{target.name}: the last verify failed"
    if target.last_verified is None:
        return f"{target.name} never verified"
    if now - target.last_verified > window:
        return f"{target.name} last verified {format_age(now - target.last_verified)} ago"
    return ""
