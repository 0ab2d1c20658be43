r"""The budget, and the largest share of it one project may take.

Rules file::

    budget = 30_000_000                 # yuan; omitted: the sum of the pools
    max_project_share = 0.10            # no single project above 10 % of the budget

Screening: a proposal dearer than the budget, or than ``max_project_share`` of it (in
whole fen, exactly: ``c · q > p · B`` for the share ``p/q``), is never a candidate.

Row (``B`` the budget in fen, ``c_k`` the candidates' costs)::

    Σ_k c_k x_k ≤ B                                         [budget]

Checks: ``budget`` (money spent ≤ budget) and ``max_project_share`` (the dearest
selected project's share of the budget).

Relaxation: ``max_project_share`` is lifted whole. The budget itself is not a rule
change: explanations move it as an override of the solve.
"""

from __future__ import annotations

import numpy as np

from selector.engine.families.base import Family, Outcome, RuleChange, RuleCheck, Screen
from selector.engine.program import Builder, Inputs
from selector.engine.words import Words
from selector.money import from_fen
from selector.problem import Problem
from selector.rules import Rules, exact_share

__all__ = ["Budget", "share_cap"]

INF = np.inf


def share_cap(budget_minor: int, share: float) -> int:
    """The largest cost in fen ``max_project_share`` admits at a budget: ``⌊B · p / q⌋``."""
    frac = exact_share(share)
    return budget_minor * frac.numerator // frac.denominator


class Budget(Family):
    """The total budget and ``max_project_share``."""

    key = "budget"

    def screen(self, s: Screen) -> None:
        if s.budget_minor is None:
            return
        budget = from_fen(s.budget_minor)
        s.flag(np.asarray(s.cost > s.budget_minor), self.key, "over_budget", {"budget": budget})
        share = s.rules.max_project_share
        if share is not None:
            cap = share_cap(s.budget_minor, share)
            s.flag(np.asarray((s.cost > cap) & (s.cost <= s.budget_minor)), self.key,
                   "over_project_share", {"share": exact_share(share), "cap": from_fen(cap)})

    def rows(self, b: Builder, inp: Inputs, cand: np.ndarray) -> None:
        if inp.budget_minor is None:
            return
        fact = (Words("rules.budget.fact", {"cost": from_fen(int(inp.cost[cand].min()))})
                if len(cand) else None)
        u = b.unit("budget", self.key,
                   Words("rules.budget.words", {"budget": from_fen(inp.budget_minor)}), fact)
        k = np.arange(len(cand))
        b.rows(["budget"], u, np.zeros(len(cand)), k, inp.cost[cand].astype(float), -INF,
               float(inp.budget_minor), check="budget")

    def checks(self, o: Outcome) -> list[RuleCheck]:
        if o.budget_minor is None:
            return []
        spent = int(o.cost[o.chosen].sum())
        budget = from_fen(o.budget_minor)
        out = [RuleCheck("budget", self.key, "budget", "max", budget, from_fen(spent),
                         spent <= o.budget_minor, "money", Words("rules.budget.name"))]
        share = o.rules.max_project_share
        if share is not None:
            frac = exact_share(share)
            cost = o.cost[o.selected]
            over = np.zeros(o.problem.n, dtype=bool)
            over[o.selected] = cost * frac.denominator > frac.numerator * o.budget_minor
            dearest = int(cost.max()) if len(cost) else 0
            achieved = dearest / o.budget_minor if o.budget_minor else 0.0
            out.append(RuleCheck("max_project_share", self.key, "max_project_share", "max",
                                 share, achieved, not over.any(), "share",
                                 Words("rules.budget.project_share_name"), o.ids(over)))
        return out

    def lifts(self, rules: Rules, problem: Problem,
              labels: set[str] | None = None) -> list[RuleChange]:
        share = rules.max_project_share
        if share is None:
            return []
        return [RuleChange("max_project_share", self.key, "max_project_share", "max",
                           rules.model_copy(update={"max_project_share": None}),
                           Words("rules.budget.project_share", {"share": exact_share(share)}),
                           old=share, unit="share")]
