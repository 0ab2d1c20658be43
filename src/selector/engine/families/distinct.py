r"""Coverage: at least a number of distinct values of a column served.

Rules file::

    [[distinct]]
    name = "most districts"             # optional: the planner's own words
    column = "district"
    min = 8

Rows (``z_v ∈ {0, 1}``: value ``v`` is covered; ``D`` the minimum)::

    z_v − Σ_{k∈v} x_k ≤ 0                     ∀ v           [cover[col=v]]
    Σ_v z_v ≥ D                                             [distinct[col]]

Check ``distinct[d]``: the number of values the selected proposals cover.

Binding: when exactly the minimum is covered.

Relaxation: lifted whole; loosened by one value.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from selector._errors import InputProblem
from selector.engine.families.base import (
    Family,
    Outcome,
    RuleChange,
    RuleCheck,
    no_column,
)
from selector.engine.program import Builder, Formulation, Inputs
from selector.engine.words import Column, Words
from selector.problem import Problem
from selector.rules import Distinct as DistinctRule
from selector.rules import Rules

__all__ = ["Distinct"]

INF = np.inf


def _words(rule: DistinctRule, kind: str = "words") -> Words:
    """The rule in words: ``"words"`` the rule ("at least 8 different district values
    covered"), ``"name"`` what is counted, ``"change"`` the rule as a limit lifted or
    loosened; a named rule is called by its name."""
    words = Words(f"rules.distinct.{kind}", {"n": rule.min, "column": Column(rule.column)})
    if rule.name and kind != "change":
        return Words("rules.distinct.named", {"name": rule.name, "rule": words})
    return words


def _covered(problem: Problem, column: str, chosen: np.ndarray) -> int:
    member = problem.membership(column)
    return int((np.asarray(member.matrix[:, np.flatnonzero(chosen)].sum(axis=1)).ravel() > 0).sum())


class Distinct(Family):
    """A minimum number of distinct values covered."""

    key = "distinct"

    def active(self, rules: Rules) -> bool:
        return bool(rules.distinct)

    def validate(self, problem: Problem, rules: Rules) -> list[InputProblem]:
        columns = problem.proposals.frame.columns
        return [no_column(d.column, f"distinct.{k}.column", columns)
                for k, d in enumerate(rules.distinct) if d.column not in columns]

    def rows(self, b: Builder, inp: Inputs, cand: np.ndarray) -> None:
        for d, rule in enumerate(inp.rules.distinct):
            member = inp.problem.membership(rule.column)
            mat = member.matrix[:, cand].tocsr()
            labels = list(member.labels)
            z = b.cols(f"cover[{d}]", len(labels), 0.0, 1.0, True)
            u = b.unit(f"distinct[{d}]", self.key, _words(rule), Words(
                "rules.distinct.fact", {"n": int((np.diff(mat.indptr) > 0).sum()),
                                        "column": Column(rule.column)}))
            coo = mat.tocoo()
            rows = np.concatenate([np.arange(len(labels)), coo.row])
            cols = np.concatenate([z + np.arange(len(labels)), coo.col])
            vals = np.concatenate([np.ones(len(labels)), -np.ones(len(coo.row))])
            b.rows([f"cover[{rule.column}={lab}]" for lab in labels], u, rows, cols, vals,
                   -INF, 0.0)
            b.rows([f"distinct[{rule.column}]"], u, np.zeros(len(labels)),
                   z + np.arange(len(labels)), np.ones(len(labels)), float(rule.min), INF,
                   check=f"distinct[{d}]")

    def checks(self, o: Outcome) -> list[RuleCheck]:
        out = []
        for d, rule in enumerate(o.rules.distinct):
            covered = _covered(o.problem, rule.column, o.chosen)
            out.append(RuleCheck(f"distinct[{d}]", self.key, f"distinct[{d}]", "min", rule.min,
                                 covered, covered >= rule.min, "count", _words(rule, "name"),
                                 column=rule.column))
        return out

    def binding(self, form: Formulation, tight: Callable[[np.ndarray], np.ndarray],
                columns: np.ndarray, o: Outcome) -> list[str]:
        chosen = np.zeros(o.problem.n, dtype=bool)
        chosen[form.cand[np.rint(columns[: form.n_x]) > 0.5]] = True
        return [f"distinct[{d}]" for d, rule in enumerate(o.rules.distinct)
                if _covered(o.problem, rule.column, chosen) <= rule.min]

    def lifts(self, rules: Rules, problem: Problem,
              labels: set[str] | None = None) -> list[RuleChange]:
        return [RuleChange(f"distinct[{d}]", self.key, f"distinct[{d}]", "min",
                           rules.model_copy(update={
                               "distinct": rules.distinct[:d] + rules.distinct[d + 1:]}),
                           _words(dist, "change"), old=dist.min, unit="count")
                for d, dist in enumerate(rules.distinct)]

    def loosenings(self, rules: Rules, problem: Problem) -> list[RuleChange]:
        out = []
        for d, dist in enumerate(rules.distinct):
            if dist.min > 1:
                looser = DistinctRule(**{**dist.model_dump(), "min": dist.min - 1})
                out.append(RuleChange(
                    f"distinct[{d}]", self.key, f"distinct[{d}]", "min",
                    rules.model_copy(update={"distinct": (
                        *rules.distinct[:d], looser, *rules.distinct[d + 1:])}),
                    _words(dist, "change"), old=dist.min, new=dist.min - 1, unit="count"))
        return out
