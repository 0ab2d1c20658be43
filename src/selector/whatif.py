"""What-if re-solves: the same as :mod:`selector.engine.whatif`, where they live.

This import path stays for scripts written against it; new code imports from
:mod:`selector.engine.whatif`.
"""

from __future__ import annotations

from selector.engine.whatif import (
    ForcedIn,
    ForcedOut,
    Resolver,
    Threshold,
    benefit_threshold,
    benefit_to_enter,
    bracket,
    budget_threshold,
    cost_threshold,
    cost_to_enter,
    entry_budget,
    forced_in,
    forced_out,
    map_each,
)

__all__ = [
    "ForcedIn",
    "ForcedOut",
    "Resolver",
    "Threshold",
    "benefit_threshold",
    "benefit_to_enter",
    "bracket",
    "budget_threshold",
    "cost_threshold",
    "cost_to_enter",
    "entry_budget",
    "forced_in",
    "forced_out",
    "map_each",
]
