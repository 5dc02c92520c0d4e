"""The pure planner: (manifest, actual state, now) -> Plan. Imports only model and errors."""

from bkctl.planner.plan import make_plan
from bkctl.planner.retention import Verdict, apply_retention, rule_names
from bkctl.planner.schedule import interval_of, is_due, next_due, tolerance, zone_of
from bkctl.planner.simulate import generate_points, simulate_policy

__all__ = [
    "Verdict",
    "apply_retention",
    "generate_points",
    "interval_of",
    "is_due",
    "make_plan",
    "next_due",
    "rule_names",
    "simulate_policy",
    "tolerance",
    "zone_of",
]
