r"""Resources: other capacities, e.g. staff-months (the sum of a numeric column is capped).

Rules file::

    [[resources]]
    name = "staff"
    column = "staff_months"             # a numeric column; a missing value counts as 0
    capacity = 400

Row (``r_k`` the column's value of candidate ``k``, ``R`` the capacity)::

    Σ_k r_k x_k ≤ R                                         [resource[name]]

Check ``resources[i]``: the selected sum is at most the capacity (relative tolerance
1e-9: the values are measurements, not money).

Relaxation: lifted whole; loosened by 1 % of the capacity (at least 1).
"""

from __future__ import annotations

import math

import numpy as np

from selector._errors import InputProblem
from selector.engine.families.base import (
    Family,
    Outcome,
    RuleChange,
    RuleCheck,
    no_column,
)
from selector.engine.program import Builder, Inputs
from selector.engine.words import Column, Words
from selector.problem import Problem
from selector.rules import Resource, Rules

__all__ = ["Resources", "resource_use"]

INF = np.inf


def _words(res: Resource, kind: str = "words") -> Words:
    """The resource in words: ``"words"`` the rule ("at most 400 staff_months (staff)"),
    ``"name"`` what is limited, ``"change"`` the rule as a limit lifted or loosened. A
    resource with a ``label`` is named by it alone (the label says what is counted)."""
    labelled = "_labelled" if getattr(res, "label", None) else ""
    return Words(f"rules.resources.{kind}{labelled}", {
        "capacity": float(res.capacity), "column": Column(res.column),
        "name": str(getattr(res, "label", None) or res.name)})


def resource_use(problem: Problem, res: Resource) -> np.ndarray:
    """The column's value per proposal, a missing value as 0."""
    use: np.ndarray = np.nan_to_num(problem.column(res.column), nan=0.0)
    return use


class Resources(Family):
    """Capacities over numeric columns."""

    key = "resources"

    def active(self, rules: Rules) -> bool:
        return bool(rules.resources)

    def validate(self, problem: Problem, rules: Rules) -> list[InputProblem]:
        out = []
        columns = problem.proposals.frame.columns
        for k, res in enumerate(rules.resources):
            if res.column not in columns:
                out.append(no_column(res.column, f"resources.{k}.column", columns))
                continue
            values = problem.column(res.column)
            if len(values) and np.all(np.isnan(values)):
                out.append(InputProblem(
                    str(Words("rules.invalid.no_numbers", {"column": res.column})),
                    column=f"resources.{k}.column", value=res.column))
        return out

    def rows(self, b: Builder, inp: Inputs, cand: np.ndarray) -> None:
        for k, res in enumerate(inp.rules.resources):
            use = resource_use(inp.problem, res)[cand]
            u = b.unit(f"resources[{k}]", self.key, _words(res))
            nz = np.flatnonzero(use)
            b.rows([f"resource[{res.name}]"], u, np.zeros(len(nz)), nz, use[nz], -INF,
                   float(res.capacity), check=f"resources[{k}]")

    def checks(self, o: Outcome) -> list[RuleCheck]:
        out = []
        for k, res in enumerate(o.rules.resources):
            used = float(resource_use(o.problem, res)[o.chosen].sum())
            ok = used <= res.capacity + 1e-9 * max(1.0, res.capacity)
            out.append(RuleCheck(f"resources[{k}]", self.key, f"resources[{k}]", "max",
                                 float(res.capacity), used, ok, "number", _words(res, "name")))
        return out

    def lifts(self, rules: Rules, problem: Problem,
              labels: set[str] | None = None) -> list[RuleChange]:
        return [RuleChange(f"resources[{r}]", self.key, f"resources[{r}]", "max",
                           rules.model_copy(update={
                               "resources": rules.resources[:r] + rules.resources[r + 1:]}),
                           _words(res, "change"), old=res.capacity)
                for r, res in enumerate(rules.resources)]

    def loosenings(self, rules: Rules, problem: Problem) -> list[RuleChange]:
        out = []
        for r, res in enumerate(rules.resources):
            cap = res.capacity + max(1.0, math.ceil(res.capacity / 100))
            looser = Resource(**{**res.model_dump(), "capacity": cap})
            out.append(RuleChange(
                f"resources[{r}]", self.key, f"resources[{r}]", "max",
                rules.model_copy(update={"resources": (
                    *rules.resources[:r], looser, *rules.resources[r + 1:])}),
                _words(res, "change"), old=res.capacity, new=cap))
        return out
