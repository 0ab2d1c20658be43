"""Re-check every rule on a chosen list with plain numpy, straight from the rules.

Nothing here reads the formulation: each rule family's
:meth:`~selector.engine.families.Family.checks` is written again from the meaning of its
rules, so a modelling or solver error cannot pass silently. The answer is structured:
one :class:`~selector.engine.families.RuleCheck` per limit (the limit, the value the list
achieves, whether it holds, the proposals it is about), which the report, the binding
rules and the explanations format as they are — nobody recomputes a rule's measure.

Money is compared in exact integer fen; a share of money or of projects is exact too (the
share as the fraction its decimal text says); a share of beneficiaries and monthly
spending allow a tolerance (see each family).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from selector._errors import SolverError
from selector.engine.families import active_families
from selector.engine.families.base import Outcome, RuleCheck
from selector.engine.words import Words
from selector.problem import Problem
from selector.rules import Rules

__all__ = ["rule_checks", "rule_violations", "verify_selection"]


def rule_checks(problem: Problem, rules: Rules, chosen: np.ndarray, *,
                cost: np.ndarray, benefit: np.ndarray, budget_minor: int | None,
                eligible: np.ndarray, payments: np.ndarray | None = None,
                starts: Mapping[int, int] | None = None,
                detail: bool = True) -> list[RuleCheck]:
    """Every limit of ``rules`` at the list ``chosen``, checked (see the module docstring).

    Parameters
    ----------
    chosen:
        Boolean mask over all proposals.
    cost, benefit:
        Exact cost in fen and beneficiaries of every proposal (after overrides).
    eligible:
        The screening mask: a non-candidate must not be chosen.
    payments:
        ``n × pools`` integer fen paid by each pool (required when there are pools).
    starts:
        ``{position: start month}`` (required when there is a schedule).
    detail:
        Fill each check's ``members`` (False when only whether it holds matters).
    """
    outcome = Outcome(problem=problem, rules=rules, chosen=np.asarray(chosen, dtype=bool),
                      cost=cost, benefit=benefit, budget_minor=budget_minor,
                      eligible=eligible, payments=payments, starts=starts or {},
                      detail=detail)
    return [check for family in active_families(rules) for check in family.checks(outcome)]


def rule_violations(problem: Problem, rules: Rules, chosen: np.ndarray, *,
                    cost: np.ndarray, benefit: np.ndarray, budget_minor: int | None,
                    eligible: np.ndarray, payments: np.ndarray | None = None,
                    starts: Mapping[int, int] | None = None) -> list[RuleCheck]:
    """The checks the list breaks (empty when every rule holds); see :func:`rule_checks`."""
    return [c for c in rule_checks(problem, rules, chosen, cost=cost, benefit=benefit,
                                   budget_minor=budget_minor, eligible=eligible,
                                   payments=payments, starts=starts, detail=False)
            if not c.met]


def verify_selection(problem: Problem, rules: Rules, chosen: np.ndarray, *,
                     cost: np.ndarray, benefit: np.ndarray, budget_minor: int | None,
                     eligible: np.ndarray, payments: np.ndarray | None = None,
                     starts: Mapping[int, int] | None = None) -> tuple[RuleCheck, ...]:
    """Every check of the list (see :func:`rule_checks`), or :class:`SolverError` when
    any breaks."""
    checks = rule_checks(problem, rules, chosen, cost=cost, benefit=benefit,
                         budget_minor=budget_minor, eligible=eligible, payments=payments,
                         starts=starts)
    bad = [c for c in checks if not c.met]
    if bad:
        raise SolverError(str(Words("rules.check.broken", {
            "checks": tuple(c.render("en") for c in bad[:10])})),
            solver_status="verification failed")
    return tuple(checks)
