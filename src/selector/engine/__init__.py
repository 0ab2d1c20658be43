"""The exact selection engine: screening, the integer program, solving, verification.

Three calls cover most uses::

    select(proposals, rules)                 # one verified, proven-optimal Selection
    screen(proposals, rules)                 # who is never a candidate, and why
    Model.build(proposals, rules).solve(...)  # compile once, re-solve with overrides

See :mod:`selector.engine.formulate` for the mathematics and
:mod:`selector.engine.solve` for the tie-break.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import numpy as np

from selector.engine.model import Model
from selector.engine.pabulib import rules_from_pabulib
from selector.engine.screening import check_columns, screen_problem, to_minor
from selector.engine.verify import rule_violations
from selector.model import ProposalSet
from selector.problem import Problem
from selector.result import Selection
from selector.rules import Rules

__all__ = ["Model", "rules_from_pabulib", "screen", "select", "verify"]


def select(proposals: ProposalSet, rules: Rules | None = None, *,
           budget: Decimal | int | float | str | None = None,
           solver: Literal["cbc", "highs"] = "cbc", time_limit: float | None = None,
           gap: float = 1e-6) -> Selection:
    """The best list under the rules, proven (or with its gap stated) and verified.

    Same as ``Model.build(proposals, rules, budget=budget).solve(solver=..., ...)``.

    Raises
    ------
    InfeasibleError
        The rules cannot all hold; names the smallest conflicting set of rules in words.
    SolverError
        The solver failed, or its list broke a rule.
    InvalidInputError
        Rules that refer to unknown columns, groups or ids; a negative budget.
    """
    model = Model.build(proposals, rules, budget=budget)
    return model.solve(solver=solver, time_limit=time_limit, gap=gap)


def screen(proposals: ProposalSet, rules: Rules | None = None) -> dict[str, tuple[str, ...]]:
    """Every proposal that is never a candidate, with all its reasons in words."""
    rules = rules or Rules()
    problem = Problem(proposals)
    check_columns(problem, rules)
    total = rules.total_budget
    return screen_problem(problem, rules, problem.cost,
                          None if total is None else to_minor(total)).reasons


def verify(selection: Selection) -> list[str]:
    """Re-check a selection against its own rules with plain numpy.

    Returns every broken rule in words (an empty list means the selection holds). Pool
    payments and the schedule are checked as stated in the selection.
    """
    problem = Problem(selection.proposals)
    rules = selection.rules
    chosen = np.zeros(problem.n, dtype=bool)
    for i in selection.selected:
        chosen[problem.index[i]] = True
    budget_minor = None if selection.budget is None else to_minor(selection.budget)
    reasons = screen_problem(problem, rules, problem.cost, budget_minor, explain=False)
    payments = None
    if rules.pools:
        payments = np.zeros((problem.n, len(rules.pools)), dtype=np.int64)
        names = [p.name for p in rules.pools]
        for i, pays in selection.pool_payments.items():
            for pool, amount in pays.items():
                payments[problem.index[i], names.index(pool)] = to_minor(amount)
    starts = {problem.index[i]: m for i, m in selection.schedule.items()}
    return rule_violations(problem, rules, chosen, cost=problem.cost, benefit=problem.benefit,
                           budget_minor=budget_minor, eligible=reasons.eligible,
                           payments=payments, starts=starts)
