r"""Eligibility: review thresholds a proposal must pass to be a candidate.

Rules file::

    [eligibility]
    require_indicator = true            # at least one indicator with a target value
    min_expert_score = 60               # a missing score fails a minimum that is set
    min_worker_score = 0
    min_worker_votes = 0
    min_completion_probability = 0.5    # a missing probability passes (counts as 1)

Screening only: a proposal failing any threshold gets no variable. No rows.

Check (``eligibility``): no selected proposal is a non-candidate of the screening of
*every* family (the screening mask is the one the list was solved with).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from selector.engine.families.base import Family, Outcome, RuleCheck, Screen
from selector.engine.words import Words
from selector.rules import Rules

__all__ = ["Eligibility"]

#: The score columns with a minimum, and the rules key of each.
SCORES = (("expert_score", "min_expert_score"), ("worker_score", "min_worker_score"),
          ("worker_votes", "min_worker_votes"))


def _low(values: np.ndarray, what: Words, minimum: float,
         at: np.ndarray) -> list[Mapping[str, Any]]:
    return [{"what": what, "value": float(v), "minimum": minimum} for v in values[at].tolist()]


def _measurable(cells: np.ndarray) -> np.ndarray:
    """Per proposal: at least one indicator has a target (not missing, not NaN). The cells
    are tuples of ``(name, target, unit)``; the targets are judged in one pass."""
    try:
        sizes = np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
    except TypeError:   # a cell that is not a tuple: judged one by one
        return np.fromiter((bool(inds) and any(not pd.isna(t) for _, t, _u in inds)
                            for inds in cells), dtype=bool, count=len(cells))
    targets = np.array([t for inds in cells for _, t, _u in inds], dtype=object)
    owner = np.repeat(np.arange(len(cells)), sizes)
    has = np.bincount(owner[~pd.isna(targets)], minlength=len(cells)) if len(targets) \
        else np.zeros(len(cells), dtype=np.int64)
    measurable: np.ndarray = has > 0
    return measurable


class Eligibility(Family):
    """Review thresholds (screening) and the check that only candidates are selected."""

    key = "eligibility"

    def screen(self, s: Screen) -> None:
        elig = s.rules.eligibility
        problem = s.problem
        if elig.require_indicator:
            s.flag(~_measurable(problem.proposals.frame["indicators"].to_numpy(dtype=object)),
                   self.key, "no_indicator")
        for column, attr in SCORES:
            minimum = getattr(elig, attr)
            if minimum is None:
                continue
            values = problem.column(column)
            what = Words(f"rules.score.{column}")
            s.flag(np.isnan(values), self.key, "score_missing",
                   {"what": what, "minimum": float(minimum)})
            below = ~np.isnan(values) & (values < minimum)
            s.flag(below, self.key, "score_low", partial(_low, values, what, float(minimum)))
        if elig.min_completion_probability is not None:
            prob = problem.column("completion_probability")
            low = ~np.isnan(prob) & (prob < elig.min_completion_probability)
            s.flag(low, self.key, "probability_low",
                   partial(_low, prob, Words("rules.score.completion_probability"),
                           float(elig.min_completion_probability)))

    def checks(self, o: Outcome) -> list[RuleCheck]:
        wrong = o.chosen & ~o.eligible
        n = int(wrong.sum())
        return [RuleCheck("eligibility", self.key, "eligibility", "", 0, n, n == 0, "count",
                          Words("rules.eligibility.words"), o.ids(wrong))]

    def active(self, rules: Rules) -> bool:
        return True
