"""A plan as JSON: exactly the canonical, versioned plan file (see bkctl.planfile)."""

from __future__ import annotations

from bkctl.model.plan import Plan
from bkctl.planfile import dump_plan

__all__ = ["render_json"]


def render_json(plan: Plan) -> str:
    return dump_plan(plan)
