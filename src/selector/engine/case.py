"""Cases: the model with overrides, screened and formulated (the what-if machinery's unit).

A :class:`Case` is what one solve works on: the rules (with any forced decisions of the
question), the exact costs and beneficiaries (with any overrides), the budget, the
screening and the formulation. :meth:`selector.engine.Model.case` builds it from
:class:`Overrides` — the base case once, at build time, and every other on demand — so
explanations, reserve scoring, robustness and guesses never assemble one themselves.

Examples
--------
>>> Overrides.of(budget=100, force_in=["B", "A", "B"]).force_in
('B', 'A')
>>> Overrides().none
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from selector._errors import InputProblem, InvalidInputError
from selector.engine.formulate import formulate
from selector.engine.objective import objective_weights
from selector.engine.program import Formulation, Inputs
from selector.engine.screening import Screening, screen_problem
from selector.money import MAX_YUAN, MoneyLike, parse_money, parse_money_column, to_fen
from selector.problem import Problem
from selector.rules import Force, Rules, exact_share

__all__ = ["Case", "Overrides", "answer_holds_from", "build_case"]


@dataclass(frozen=True)
class Overrides:
    """What one question changes about the base model (hashable: a cache key).

    Attributes
    ----------
    budget:
        Another total budget (yuan), or ``None``.
    force_in, force_out:
        Ids forced in or out for this question (they override the rules' opposite force
        for the same id), without repeats, in the order given.
    cost:
        ``((id, yuan), ...)``: other costs.
    beneficiaries:
        ``((id, beneficiaries), ...)``: other estimates.
    """

    budget: Decimal | None = None
    force_in: tuple[str, ...] = ()
    force_out: tuple[str, ...] = ()
    cost: tuple[tuple[str, Decimal], ...] = ()
    beneficiaries: tuple[tuple[str, float], ...] = ()

    @classmethod
    def of(cls, *, budget: MoneyLike | None = None, force_in: Iterable[str] = (),
           force_out: Iterable[str] = (), cost: Mapping[str, MoneyLike] | None = None,
           beneficiaries: Mapping[str, float] | None = None) -> Overrides:
        """Overrides from plain arguments (money parsed exactly; see
        :func:`selector.money.parse_money`).

        Raises
        ------
        InvalidInputError
            A budget or cost that is not an amount of money, a negative or non-finite
            beneficiaries estimate, an id forced both in and out.
        """
        fin = tuple(dict.fromkeys(str(i) for i in force_in))
        fout = tuple(dict.fromkeys(str(i) for i in force_out))
        both = set(fin) & set(fout)
        if both:
            raise InvalidInputError(InputProblem.of("engine.error.forced_both", ids=", ".join(sorted(both))))
        return cls(
            budget=None if budget is None else _parsed(budget, "budget"),
            force_in=fin, force_out=fout,
            cost=_amounts(cost or {}),
            beneficiaries=tuple((str(i), _count(b, f"beneficiaries[{i}]"))
                                for i, b in (beneficiaries or {}).items()))

    @property
    def none(self) -> bool:
        """True when nothing is overridden."""
        return self == Overrides()

    def solve_kwargs(self) -> dict[str, Any]:
        """The overrides as keyword arguments of :meth:`selector.engine.Model.solve`."""
        out: dict[str, Any] = {}
        if self.budget is not None:
            out["budget"] = self.budget
        if self.force_in:
            out["force_in"] = self.force_in
        if self.force_out:
            out["force_out"] = self.force_out
        if self.cost:
            out["cost"] = dict(self.cost)
        if self.beneficiaries:
            out["beneficiaries"] = dict(self.beneficiaries)
        return out

    @property
    def about(self) -> tuple[str, ...]:
        """The proposals this question changes something about, sorted."""
        return tuple(sorted({*self.force_in, *(i for i, _ in self.cost),
                             *(i for i, _ in self.beneficiaries)}))


def _exact(value: object) -> bool:
    """An amount already exact to the fen (a ``Decimal`` the engine computed): nothing to
    parse."""
    return (isinstance(value, Decimal) and value.is_finite() and 0 <= value <= MAX_YUAN
            and int(value.as_tuple().exponent) >= -2)


def _parsed(value: MoneyLike, what: str) -> Decimal:
    """One amount: as it is when already exact, else :func:`selector.money.parse_money`."""
    return value if isinstance(value, Decimal) and _exact(value) else parse_money(value, what)


def _amounts(cost: Mapping[str, MoneyLike]) -> tuple[tuple[str, Decimal], ...]:
    """Costs parsed in one pass (the grammar of :func:`selector.money.parse_money`)."""
    if not cost:
        return ()
    if all(_exact(v) for v in cost.values()):
        return tuple((str(i), Decimal(v)) for i, v in cost.items())
    ids = [str(i) for i in cost]
    values = [format(v, "f") if isinstance(v, Decimal) else str(v) for v in cost.values()]
    fen, kinds = parse_money_column(pd.Series(values, dtype="str"))
    bad = np.zeros(len(ids), dtype=bool)
    for mask in kinds.values():
        bad |= mask
    if bad.any():   # the scalar parser words every problem
        for i, v in zip(ids, cost.values(), strict=True):
            parse_money(v, f"cost[{i}]")
    return tuple((i, Decimal(int(f)) / 100) for i, f in zip(ids, fen, strict=True))


def _count(value: float, what: str) -> float:
    number = float(value)
    if not np.isfinite(number) or number < 0:
        raise InvalidInputError(InputProblem("beneficiaries must be >= 0", column=what,
                                             value=str(value)))
    return number


@dataclass(frozen=True)
class Case:
    """The model with one question's overrides: what a solve works on.

    Attributes
    ----------
    rules:
        The rules with the question's forced decisions.
    cost, benefit:
        Exact cost in fen and beneficiaries of every proposal (overrides applied).
    budget:
        The total budget (yuan), or ``None``.
    screening:
        Who is a candidate, and why not.
    inputs:
        The numbers of the formulation.
    form:
        The integer program.
    """

    rules: Rules
    cost: np.ndarray
    benefit: np.ndarray
    budget: Decimal | None
    screening: Screening
    inputs: Inputs
    form: Formulation


def build_case(problem: Problem, rules: Rules, cost: np.ndarray, benefit: np.ndarray,
               budget: Decimal | None) -> Case:
    """Screen and formulate the proposals at these costs, estimates and budget."""
    budget_minor = None if budget is None else to_fen(budget, "budget", rounding="floor")
    screening = screen_problem(problem, rules, cost, budget_minor)
    inputs = Inputs(problem=problem, rules=rules, cost=cost,
                    weight=objective_weights(problem, rules, benefit), benefit=benefit,
                    budget_minor=budget_minor, eligible=screening.eligible,
                    force_in=tuple(f.id for f in rules.force_in if f.id not in screening.why))
    return Case(rules=rules, cost=cost, benefit=benefit, budget=budget, screening=screening,
                inputs=inputs, form=formulate(inputs))


def with_forces(rules: Rules, overrides: Overrides) -> Rules:
    """``rules`` with the question's forced decisions (a question's force in undoes the
    rules' force out of the same id, and the other way round)."""
    fin, fout = overrides.force_in, overrides.force_out
    if not fin and not fout:
        return rules
    keep_in = tuple(f for f in rules.force_in if f.id not in fout)
    keep_out = tuple(f for f in rules.force_out if f.id not in fin)
    have_in = {f.id for f in keep_in}
    have_out = {f.id for f in keep_out}
    return rules.model_copy(update={
        "force_in": keep_in + tuple(Force(id=i, reason="scenario") for i in fin
                                    if i not in have_in),
        "force_out": keep_out + tuple(Force(id=i, reason="scenario") for i in fout
                                      if i not in have_out)})


def answer_holds_from(problem: Problem, rules: Rules, selected: Iterable[str],
                      cost_fen: int) -> int:
    """The least budget (fen) down to which a list optimal at a larger budget stays the
    answer: its own cost, raised so that ``max_project_share`` still admits its dearest
    project (see :meth:`selector.engine.Model.answer_holds_from`)."""
    low = int(cost_fen)
    share = rules.max_project_share
    ids = list(selected)
    if share is not None and ids:
        dearest = max(int(problem.cost[problem.index[i]]) for i in ids)
        frac = exact_share(share)   # the least budget B with dearest ≤ share × B
        low = max(low, -(-dearest * frac.denominator // frac.numerator))
    return low
