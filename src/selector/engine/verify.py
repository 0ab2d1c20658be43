"""Re-check every rule on a chosen list with plain numpy, straight from the rules.

Nothing here reads the formulation: each rule family's
:meth:`~selector.engine.families.Family.checks` is written again from the meaning of its
rules, so a modelling or solver error cannot pass silently. The answer is structured:
one :class:`~selector.engine.families.RuleCheck` per limit (the limit, the value the list
achieves, whether it holds, the proposals it is about), which the report, the binding
rules and the explanations format as they are — nobody recomputes a rule's measure. The
list to check, with its costs, budget, screening, payment plan and start months, is one
:class:`~selector.engine.families.Outcome`.

Money is compared in exact integer fen; a share of money or of projects is exact too (the
share as the fraction its decimal text says); a share of beneficiaries and monthly
spending allow a tolerance (see each family).
"""

from __future__ import annotations

from selector._errors import SolverError
from selector.engine.families import active_families
from selector.engine.families.base import Outcome, RuleCheck
from selector.engine.words import Words

__all__ = ["Outcome", "rule_checks", "rule_violations", "verify_selection"]


def rule_checks(outcome: Outcome) -> list[RuleCheck]:
    """Every limit of the rules at the list of ``outcome``, checked (see the module
    docstring); a check's ``members`` are filled when ``outcome.detail``."""
    return [check for family in active_families(outcome.rules)
            for check in family.checks(outcome)]


def rule_violations(outcome: Outcome) -> list[RuleCheck]:
    """The checks the list breaks (empty when every rule holds); see :func:`rule_checks`."""
    return [c for c in rule_checks(outcome) if not c.met]


def verify_selection(outcome: Outcome) -> tuple[RuleCheck, ...]:
    """Every check of the list (see :func:`rule_checks`), or :class:`SolverError` when
    any breaks."""
    checks = rule_checks(outcome)
    bad = [c for c in checks if not c.met]
    if bad:
        raise SolverError(str(Words("rules.check.broken", {
            "checks": tuple(c.render("en") for c in bad[:10])})),
            solver_status="verification failed")
    return tuple(checks)
