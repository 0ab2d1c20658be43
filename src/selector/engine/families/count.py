r"""Cardinality: how many projects the list holds.

Rules file::

    [count]
    min = 10
    max = 10                            # "exactly ten practical projects"

Rows::

    Σ_k x_k ≥ N_min                                         [count_min]
    Σ_k x_k ≤ N_max                                         [count_max]

Checks ``count.min`` and ``count.max``: the number of selected projects.

Relaxation: each bound lifted, or loosened by one project.
"""

from __future__ import annotations

import numpy as np

from selector.engine.families.base import Family, Outcome, RuleChange, RuleCheck, Side
from selector.engine.program import Builder, Inputs
from selector.engine.words import Words
from selector.problem import Problem
from selector.rules import Count as CountRule
from selector.rules import Rules

__all__ = ["Count"]

INF = np.inf


def _bounds(rules: Rules) -> list[tuple[Side, int]]:
    """The count's bounds that constrain anything: ``[(side, value)]``."""
    count = rules.count
    if count is None:
        return []
    out: list[tuple[Side, int]] = []
    if count.min is not None and count.min > 0:
        out.append(("min", count.min))
    if count.max is not None:
        out.append(("max", count.max))
    return out


class Count(Family):
    """A minimum and a maximum number of projects."""

    key = "count"

    def active(self, rules: Rules) -> bool:
        return rules.count is not None

    def rows(self, b: Builder, inp: Inputs, cand: np.ndarray) -> None:
        n = len(cand)
        k = np.arange(n)
        fact = Words("rules.count.fact", {"n": n})
        for side, value in _bounds(inp.rules):
            u = b.unit(f"count.{side}", self.key, Words(f"rules.count.words_{side}", {"n": value}),
                       fact)
            lo, hi = (float(value), INF) if side == "min" else (-INF, float(value))
            b.rows([f"count_{side}"], u, np.zeros(n), k, np.ones(n), lo, hi,
                   check=f"count.{side}")

    def checks(self, o: Outcome) -> list[RuleCheck]:
        k = len(o.selected)
        count = o.rules.count
        assert count is not None
        out = []
        for side in ("min", "max"):
            value = getattr(count, side)
            if value is None:
                continue
            ok = k >= value if side == "min" else k <= value
            out.append(RuleCheck(f"count.{side}", self.key, "count", side, value, k, ok,
                                 "count", Words("rules.count.name")))
        return out

    def lifts(self, rules: Rules, problem: Problem,
              labels: set[str] | None = None) -> list[RuleChange]:
        count = rules.count
        assert count is not None
        out = []
        for side in ("max", "min"):
            value = getattr(count, side)
            if value is None or (side == "min" and value == 0):
                continue
            other = "min" if side == "max" else "max"
            rest = getattr(count, other)
            kept = None if rest is None else CountRule(**{other: rest})
            out.append(RuleChange(f"count.{side}", self.key, "count", side,
                                  rules.model_copy(update={"count": kept}),
                                  Words(f"rules.count.change_{side}", {"n": value}),
                                  old=value, unit="count"))
        return out

    def loosenings(self, rules: Rules, problem: Problem) -> list[RuleChange]:
        count = rules.count
        assert count is not None
        out = []
        if count.max is not None:
            out.append(RuleChange(
                "count.max", self.key, "count", "max",
                rules.model_copy(update={"count": CountRule(min=count.min, max=count.max + 1)}),
                Words("rules.count.change_max", {"n": count.max}), old=count.max,
                new=count.max + 1, unit="count"))
        if count.min:
            out.append(RuleChange(
                "count.min", self.key, "count", "min",
                rules.model_copy(update={"count": CountRule(min=count.min - 1, max=count.max)}),
                Words("rules.count.change_min", {"n": count.min}), old=count.min,
                new=count.min - 1, unit="count"))
        return out
