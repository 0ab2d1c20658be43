"""Why the rules cannot all hold: a smallest conflicting set of rules, in words.

A deletion filter over the rules (each budget, pool set, resource, group rule, distinct
rule, count bound, relation family, schedule and forced-in proposal is one rule): starting
from all of them, each rule in turn is relaxed; if the rest is still infeasible it is left
out for good, otherwise it is kept. What remains is an irreducible conflict: every rule
in it is needed, and dropping any one of them makes the rest feasible.
"""

from __future__ import annotations

import copy
import math
import time

import numpy as np

from selector._errors import InfeasibleError
from selector.engine.formulate import Formulation, Unit
from selector.engine.solve import feasible

__all__ = ["conflict", "explain", "infeasible_error"]

#: Units that define auxiliary totals; they cannot conflict on their own.
_STRUCTURAL = ("total[",)


def _relaxed(form: Formulation, dropped: set[int]) -> Formulation:
    out = copy.copy(form)
    rows = np.isin(form.row_unit, list(dropped))
    out.row_lower = np.where(rows, -math.inf, form.row_lower)
    out.row_upper = np.where(rows, math.inf, form.row_upper)
    lower = form.col_lower.copy()
    for col, unit in form.col_unit.items():
        if unit in dropped:
            lower[col] = 0.0
    out.col_lower = lower
    return out


def conflict(form: Formulation, solver: str, time_limit: float | None = None) -> list[Unit]:
    """A minimal set of rules that cannot hold together (deletion filter).

    When a feasibility check cannot decide in time the rule is kept, so the set is
    still a conflict, only perhaps not minimal.
    """
    t0 = time.perf_counter()
    candidates = [u for u, unit in enumerate(form.units) if not unit.key.startswith(_STRUCTURAL)]
    dropped: set[int] = set()
    for u in candidates:
        left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if left is not None and left <= 0:
            break
        trial = dropped | {u}
        if feasible(_relaxed(form, trial), solver, left) is False:
            dropped = trial
    return [form.units[u] for u in candidates if u not in dropped]


def explain(units: list[Unit], screened: int = 0) -> str:
    """The conflict in a planner's words."""
    if not units:
        return ("the rules cannot all hold, but no single rule set could be isolated"
                + (f" ({screened} proposals were screened out)" if screened else ""))
    quoted = [f"'{u.words}'" for u in units]
    if len(quoted) == 1:
        head = f"{quoted[0]} cannot hold"
    else:
        head = ", ".join(quoted[:-1]) + f" and {quoted[-1]} cannot all hold" \
            if len(quoted) > 2 else f"{quoted[0]} and {quoted[1]} cannot both hold"
    facts = [u.fact for u in units if u.fact]
    if screened:
        facts.append(f"{screened} proposals were screened out before selection")
    return head + (": " + "; ".join(facts) if facts else "")


def infeasible_error(form: Formulation, solver: str, screened: int,
                     diagnose: bool = True, time_limit: float | None = None) -> InfeasibleError:
    """The error to raise for an infeasible model (with the diagnosis when asked for)."""
    if not diagnose:
        return InfeasibleError("the rules cannot all hold (diagnosis skipped)")
    units = conflict(form, solver, time_limit)
    return InfeasibleError(explain(units, screened), conflict=[u.key for u in units])
