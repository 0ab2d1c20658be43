r"""At most N projects per applicant unit (the worked example of ``CONTRIBUTING.md``).

Rules file (a table this family declares itself: :class:`PerUnitRule`)::

    [per_unit]
    max = 2                             # at most two projects of any one applicant unit
    column = "proposer"                 # the column naming the unit (default)

A proposal without a unit (an empty cell) belongs to none and is not limited; a
multi-valued column puts a proposal in each of its units.

Rows (``U`` a unit with more candidates than ``N``; smaller units need no row)::

    Σ_{k∈U} x_k ≤ N                           ∀ U           [per_unit[U]]

Check ``per_unit``: the most projects selected from one unit (its members: the selected
projects of the units above the limit, when any).

Relaxation: lifted whole; loosened by one project.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from selector._errors import InputProblem
from selector.engine.families.base import Family, Outcome, RuleChange, RuleCheck, no_column
from selector.engine.program import Builder, Inputs
from selector.engine.words import Column, Words
from selector.problem import Problem
from selector.rules import Rules

__all__ = ["PerUnit", "PerUnitRule"]

INF = np.inf


class PerUnitRule(BaseModel):
    """``[per_unit]``: at most ``max`` projects per value of ``column``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max: int = Field(ge=1)
    column: str = "proposer"


def _rule(rules: Rules) -> PerUnitRule | None:
    table = rules.table("per_unit")
    return table if isinstance(table, PerUnitRule) else None


def _words(rule: PerUnitRule, key: str) -> Words:
    return Words(f"rules.per_unit.{key}", {"n": rule.max, "column": Column(rule.column)})


class PerUnit(Family):
    """A cap on the projects of each applicant unit."""

    key = "per_unit"
    table = "per_unit"
    schema = PerUnitRule

    def active(self, rules: Rules) -> bool:
        return _rule(rules) is not None

    def validate(self, problem: Problem, rules: Rules) -> list[InputProblem]:
        rule = _rule(rules)
        columns = problem.proposals.frame.columns
        if rule is None or rule.column in columns:
            return []
        return [no_column(rule.column, "per_unit.column", columns)]

    def rows(self, b: Builder, inp: Inputs, cand: np.ndarray) -> None:
        rule = _rule(inp.rules)
        assert rule is not None
        member = inp.problem.membership(rule.column)
        mat = member.matrix[:, cand].tocsr()
        big = np.flatnonzero(np.diff(mat.indptr) > rule.max)   # units that can exceed it
        if not len(big):
            return
        coo = mat[big].tocoo()
        u = b.unit("per_unit", self.key, _words(rule, "words"))
        b.rows([f"per_unit[{member.labels[g]}]" for g in big], u, coo.row, coo.col,
               np.ones(len(coo.row)), -INF, float(rule.max), check="per_unit")

    def checks(self, o: Outcome) -> list[RuleCheck]:
        rule = _rule(o.rules)
        assert rule is not None
        member = o.problem.membership(rule.column)
        per_unit = np.asarray(member.matrix @ o.chosen.astype(np.int64)).ravel()
        most = int(per_unit.max(initial=0))
        over = np.asarray(member.matrix[per_unit > rule.max].sum(axis=0)).ravel() > 0
        return [RuleCheck("per_unit", self.key, "per_unit", "max", rule.max, most,
                          most <= rule.max, "count", _words(rule, "name"),
                          o.ids(over & o.chosen), column=rule.column)]

    def lifts(self, rules: Rules, problem: Problem,
              labels: set[str] | None = None) -> list[RuleChange]:
        rule = _rule(rules)
        assert rule is not None
        tables = {k: v for k, v in rules.tables.items() if k != "per_unit"}
        return [RuleChange("per_unit", self.key, "per_unit", "max",
                           rules.model_copy(update={"tables": tables}),
                           _words(rule, "change"), old=rule.max, unit="count")]

    def loosenings(self, rules: Rules, problem: Problem) -> list[RuleChange]:
        rule = _rule(rules)
        assert rule is not None
        looser = rule.model_copy(update={"max": rule.max + 1})
        return [RuleChange("per_unit", self.key, "per_unit", "max",
                           rules.model_copy(update={"tables": {**rules.tables,
                                                               "per_unit": looser}}),
                           _words(rule, "change"), old=rule.max, new=rule.max + 1,
                           unit="count")]
