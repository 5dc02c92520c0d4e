"""Actions a target's key role cannot carry out are left to a key that can, and said so.

A writer key (a backup host) adds backups only: it cannot delete (prune, reclaim), read
data back (verify, restore drills) or read a point to copy it elsewhere. Planning those
where a writer key would run them only makes apply fail; instead the plan holds them and
names the role that runs them (docs/security.md). A manager key (CI) prunes, reclaims and
verifies structure, but reads no file contents and writes no points: backups are the
writers' (or the owner's), drills and copies the owner's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bkctl.model.plan import Action, ActionKind, PlanWarning, WarningKind
from bkctl.model.state import TargetState

__all__ = ["hold_for_roles"]

# kind -> (roles that may run it, which end of the action the key belongs to)
_NEEDS: dict[ActionKind, tuple[frozenset[str], str]] = {
    ActionKind.BACKUP: (frozenset({"owner", "writer"}), "target"),  # a manager's points would be refused
    ActionKind.PRUNE: (frozenset({"owner", "manager"}), "target"),
    ActionKind.RECLAIM: (frozenset({"owner", "manager"}), "target"),
    ActionKind.EXTEND_LOCK: (frozenset({"owner", "manager"}), "target"),  # finding what a point needs walks trees
    ActionKind.VERIFY: (frozenset({"owner", "manager"}), "target"),
    ActionKind.DRILL: (frozenset({"owner"}), "target"),
    ActionKind.REENCRYPT: (frozenset({"owner"}), "target"),
    ActionKind.COPY: (frozenset({"owner"}), "source"),
}


def hold_for_roles(actions: Sequence[Action],
                   states: Mapping[str, TargetState]) -> tuple[list[Action], list[PlanWarning]]:
    """``actions`` without those the key of their target (or copy source) may not run, and one
    warning per target and kind naming what was held."""
    kept: list[Action] = []
    held: dict[tuple[str, ActionKind], list[Action]] = {}
    for action in actions:
        rule = _NEEDS.get(action.kind)
        where = (action.source if rule and rule[1] == "source" else action.target) if rule else None
        observed = states.get(where) if where is not None else None
        if rule is None or where is None or observed is None or observed.key_role in rule[0]:
            kept.append(action)
        else:
            held.setdefault((where, action.kind), []).append(action)
    return kept, [_warning(target, kind, group, states[target].key_role) for (target, kind), group in held.items()]


def _warning(target: str, kind: ActionKind, group: list[Action], role: str) -> PlanWarning:
    allowed = " or ".join(sorted(_NEEDS[kind][0], key=("owner", "manager", "writer").index))
    points = sum(len(action.points) for action in group)
    what = f"{len(group)} {kind.value} action{'s' if len(group) != 1 else ''}"
    if points:
        what += f" ({points} recovery point{'s' if points != 1 else ''})"
    return PlanWarning(kind=WarningKind.KEY_ROLE, target=target,
                       message=f"target '{target}' is opened with a {role} key: {what} held; run plan and apply "
                       f"with an {allowed} key for them")
