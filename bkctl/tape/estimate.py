"""Tape estimates live in the model (pure arithmetic the planner needs without the engine);
the library's callers keep importing them from here."""

from bkctl.model.tape_estimate import (
    Estimate,
    Timing,
    cartridges_needed,
    estimate_read,
    estimate_write,
    period_of,
    timing_for,
)

__all__ = ["Estimate", "Timing", "cartridges_needed", "estimate_read", "estimate_write", "period_of", "timing_for"]
