"""The exact selection engine: screening, the integer program, solving, verification.

Three calls cover most uses::

    select(proposals, rules)                 # one verified, proven-optimal Selection
    screen(proposals, rules)                 # who is never a candidate, and why
    Model.build(proposals, rules).solve(...)  # compile once, re-solve with overrides

Every rule is one family of :mod:`selector.engine.families` (its screening, rows, exact
check and relaxations); :mod:`selector.engine.formulate` has the whole program and
:mod:`selector.engine.solve` the tie-break. What-if questions — the same model re-solved
with overrides, the threshold searches, one-MIP guesses, solves with extra rows — are
public here too: :class:`Overrides` and :meth:`Model.case`,
:mod:`selector.engine.whatif`, :mod:`selector.engine.guess`,
:mod:`selector.engine.extend`.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from selector.engine.case import Case, Overrides
from selector.engine.diagnose import RulesConflict
from selector.engine.families import FAMILIES, Outcome, Reason, RuleChange, RuleCheck
from selector.engine.model import Model
from selector.engine.options import SolverName
from selector.engine.pabulib import rules_from_pabulib
from selector.engine.screening import check_columns, screen_problem
from selector.engine.verify import rule_checks
from selector.engine.words import Words
from selector.model import ProposalSet
from selector.money import MoneyLike, parse_money, to_fen
from selector.problem import Problem
from selector.result import Selection
from selector.rules import Rules

__all__ = [
    "FAMILIES",
    "Case",
    "Model",
    "Outcome",
    "Overrides",
    "Reason",
    "RuleChange",
    "RuleCheck",
    "RulesConflict",
    "Words",
    "check",
    "default_budget",
    "rules_from_pabulib",
    "screen",
    "screen_reasons",
    "select",
    "verify",
]


def select(proposals: ProposalSet, rules: Rules | None = None, *,
           budget: MoneyLike | None = None,
           solver: SolverName = "cbc", time_limit: float | None = None,
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


def default_budget(proposals: ProposalSet, rules: Rules | None = None,
                   amount: MoneyLike | None = None) -> Decimal | None:
    """The budget a call is solved at: ``amount`` when given, else the rules' budget (or
    the sum of their pools), else the proposals' own (a Pabulib file's META budget), else
    ``None`` (no budget).

    Examples
    --------
    >>> from selector import Proposal, ProposalSet
    >>> ps = ProposalSet.from_proposals([Proposal(id="A", domain="health", cost=1,
    ...                                           beneficiaries=1)])
    >>> default_budget(ps, Rules(budget=500)), default_budget(ps, Rules(budget=500), "12万")
    (Decimal('500'), Decimal('120000'))
    >>> default_budget(ps) is None
    True
    """
    if amount is not None:
        return parse_money(amount, "budget")
    total = (rules or Rules()).total_budget
    if total is not None:
        return total
    meta = proposals.meta.get("budget")
    return None if meta is None else parse_money(str(meta), "budget")


def screen(proposals: ProposalSet, rules: Rules | None = None) -> dict[str, tuple[str, ...]]:
    """Every proposal that is never a candidate, with all its reasons in words (English;
    :func:`screen_reasons` gives them structured, to render in any language)."""
    return {pid: tuple(r.render("en") for r in why)
            for pid, why in screen_reasons(proposals, rules).items()}


def screen_reasons(proposals: ProposalSet,
                   rules: Rules | None = None) -> dict[str, tuple[Reason, ...]]:
    """Every proposal that is never a candidate, with all its reasons (``Reason``: a
    code and its parameters; ``reason.render("zh", proposals)`` in words)."""
    rules = rules or Rules()
    problem = Problem(proposals)
    check_columns(problem, rules)
    total = rules.total_budget
    budget_minor = None if total is None else to_fen(total, "budget", rounding="floor")
    return dict(screen_problem(problem, rules, problem.cost, budget_minor).why)


def check(selection: Selection) -> tuple[RuleCheck, ...]:
    """Every limit of a selection's own rules at its list, re-checked with plain numpy
    (independent of the formulation). Pool payments and the schedule are checked as
    stated in the selection."""
    problem = Problem(selection.proposals)
    rules = selection.rules
    chosen = np.zeros(problem.n, dtype=bool)
    chosen[[problem.index[i] for i in selection.selected]] = True
    budget_minor = (None if selection.budget is None
                    else to_fen(selection.budget, "budget", rounding="floor"))
    eligible = screen_problem(problem, rules, problem.cost, budget_minor, explain=False).eligible
    payments = None
    if rules.pools:
        payments = np.zeros((problem.n, len(rules.pools)), dtype=np.int64)
        names = [p.name for p in rules.pools]
        for i, pays in selection.pool_payments.items():
            for pool, amount in pays.items():
                payments[problem.index[i], names.index(pool)] = to_fen(amount, "payment", rounding="floor")
    starts = {problem.index[i]: m for i, m in selection.schedule.items()}
    return tuple(rule_checks(Outcome(problem=problem, rules=rules, chosen=chosen,
                                     cost=problem.cost, benefit=problem.benefit,
                                     budget_minor=budget_minor, eligible=eligible,
                                     payments=payments, starts=starts)))


def verify(selection: Selection) -> list[RuleCheck]:
    """The rules a selection breaks (an empty list means it holds), re-checked with plain
    numpy; see :func:`check`. ``check.render(lang)`` says each in words."""
    return [c for c in check(selection) if not c.met]
