"""The objective: what a selection maximises, per proposal.

Rules file::

    [objective]
    kind = "beneficiaries"              # "beneficiaries" | "risk_adjusted" | "weighted"
    weights = { beneficiaries = 1.0, expert_score = 50.0 }   # kind = "weighted" only

- ``beneficiaries``: the estimate;
- ``risk_adjusted``: times the completion probability (a missing probability counts as 1);
- ``weighted``: ``Σ weight × column`` (a missing value counts as 0; the column
  ``beneficiaries`` is the estimate after overrides). A weighted column must hold
  numbers: a text column is refused (it would weigh nothing, and the "optimum" would be
  any list).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from selector._errors import InputProblem
from selector.engine.families.base import no_column
from selector.engine.words import Words
from selector.problem import Problem
from selector.rules import Rules

__all__ = ["objective_problems", "objective_weights"]


def objective_weights(problem: Problem, rules: Rules, benefit: np.ndarray) -> np.ndarray:
    """The objective coefficient of every proposal (see the module docstring)."""
    kind = rules.objective.kind
    if kind == "beneficiaries":
        return benefit.astype(np.float64)
    if kind == "risk_adjusted":
        p = np.nan_to_num(problem.column("completion_probability"), nan=1.0)
        return np.asarray(benefit * p, dtype=np.float64)
    out = np.zeros(problem.n)
    for col, w in rules.objective.weights.items():
        values = benefit if col == "beneficiaries" else problem.column(col)
        out += w * np.nan_to_num(values, nan=0.0)
    return out


def objective_problems(problem: Problem, rules: Rules) -> list[InputProblem]:
    """Weights on columns the proposals do not have, or that hold something other than
    numbers."""
    if rules.objective.kind != "weighted":
        return []
    frame = problem.proposals.frame
    out = []
    for col in rules.objective.weights:
        key = f"objective.weights.{col}"
        if col not in frame.columns:
            out.append(no_column(col, key, frame.columns))
            continue
        values = frame[col]
        present = values.notna().to_numpy() & (values.astype(str) != "").to_numpy()
        if values.map(_is_listy).any():
            numbers = np.zeros(len(values), dtype=bool)
        else:
            numbers = pd.to_numeric(values, errors="coerce").notna().to_numpy()
        bad = present & ~numbers
        if bad.any():
            shown = str(values[bad].iloc[0])[:40]
            out.append(InputProblem(str(Words("rules.invalid.not_numbers", {"column": col})),
                                    column=key, value=shown))
    return out


def _is_listy(value: object) -> bool:
    return isinstance(value, tuple | list | set | frozenset)
