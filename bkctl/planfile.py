"""Plan <-> versioned JSON, and the stale-plan check apply runs before acting.

The JSON form is canonical: the json renderer prints it and ``bkctl apply PLANFILE``
reads it back. A saved plan records the manifest digest and, per target, the token of
the state it was made from (see ``TargetState.token``); apply refuses a plan when either
moved, because the actions were computed for a world that no longer exists. It also
records the manifest's absolute path, so apply finds the manifest from any directory.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import ValidationError

from bkctl.errors import BkctlError, NotFoundError, StalePlanError
from bkctl.model.plan import PLAN_FORMAT_VERSION, Plan
from bkctl.model.state import ActualState

__all__ = [
    "PlanFileError",
    "dump_plan",
    "parse_plan",
    "save_plan",
    "load_plan",
    "check_stale",
    "recorded_manifest",
]


class PlanFileError(BkctlError):
    """A saved plan file cannot be read: missing, not JSON, wrong version, wrong shape."""

    reference = "plan-file-invalid"


def dump_plan(plan: Plan) -> str:
    """The canonical JSON text of a plan (stable key order, two-space indent)."""
    return plan.model_dump_json(indent=2) + "\n"


def parse_plan(text: str, *, context: str = "plan") -> Plan:
    """A Plan from its JSON text; raises PlanFileError saying what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFileError(f"not a JSON plan ({exc.msg} at line {exc.lineno})", context=context,
                            hint="create a plan with 'bkctl plan --out FILE'") from None
    if not isinstance(data, dict) or "format_version" not in data:
        raise PlanFileError("not a bkctl plan (no format_version)", context=context)
    if data["format_version"] != PLAN_FORMAT_VERSION:
        raise PlanFileError(
            f"plan format version {data['format_version']!r} is not supported "
            f"(this bkctl reads version {PLAN_FORMAT_VERSION})",
            context=context,
            hint="make the plan again with this version of bkctl",
        )
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PlanFileError(f"invalid plan: {where}: {first['msg']}", context=context) from None


def save_plan(plan: Plan, path: str | os.PathLike[str], *, manifest: Path | None = None) -> None:
    """Write atomically (temp file, then rename) so a crash never leaves half a plan.

    ``manifest`` (the path the plan was made from) is recorded absolute.
    """
    if manifest is not None:
        plan = plan.model_copy(update={"manifest": str(Path(manifest).absolute())})
    target = Path(path)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(dump_plan(plan), encoding="utf-8")
    os.replace(temporary, target)


def recorded_manifest(plan: Plan, *, context: str) -> Path | None:
    """The manifest a saved plan names, when it names one; an error when it is gone.

    A plan saved by an older bkctl names none: the caller then looks where it always did.
    """
    if not plan.manifest:
        return None
    path = Path(plan.manifest)
    if not path.exists():
        raise NotFoundError(f"the plan was made from the manifest {path}, which no longer exists", context=context,
                            hint="pass the manifest with -m PATH (apply still refuses the plan if it changed)")
    return path


def load_plan(path: str | os.PathLike[str]) -> Plan:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanFileError(f"cannot read the plan: {exc.strerror}", context=str(path)) from None
    return parse_plan(text, context=str(path))


def check_stale(plan: Plan, manifest_digest: str, state: ActualState) -> None:
    """Raise StalePlanError naming everything that moved since the plan was made."""
    moved: list[str] = []
    if plan.manifest_digest != manifest_digest:
        moved.append("the manifest changed since the plan was made")
    for name, token in sorted(plan.fingerprints.items()):
        observed = state.targets.get(name)
        if observed is None or observed.token() != token:
            moved.append(f"target '{name}' changed since the plan was made")
    if moved:
        raise StalePlanError(
            "saved plan is stale: " + "; ".join(moved),
            hint="run 'bkctl plan' again and review the new plan",
        )
