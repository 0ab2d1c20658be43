"""Scenarios: budget sweeps, the exact efficient frontier, comparisons and robustness.

- :func:`sweep`: the optimum at a list of budgets, as a tidy table;
- :func:`frontier`: every budget at which the optimum improves, found by search;
- :func:`compare`: named scenarios (rules, proposals, budgets) side by side;
- :func:`robustness`: selection frequencies (core / borderline / exterior) under
  uncertain estimates; :func:`robust_select`: the best list in the worst case or at a
  percentile of the sampled scenarios.

Every function runs its solves on any :class:`concurrent.futures.Executor` or Dask
client (see :mod:`selector.scenarios.execution`); plots are in
:mod:`selector.scenarios.plots`.
"""

from __future__ import annotations

from selector.scenarios.compare import Comparison, Scenario, compare
from selector.scenarios.execution import run_tasks
from selector.scenarios.frontier import Frontier, frontier
from selector.scenarios.robustness import RobustChoice, Robustness, robust_select, robustness
from selector.scenarios.sweep import budget_grid, sweep
from selector.scenarios.uncertainty import Uncertainty

__all__ = [
    "Comparison",
    "Frontier",
    "RobustChoice",
    "Robustness",
    "Scenario",
    "Uncertainty",
    "budget_grid",
    "compare",
    "frontier",
    "robust_select",
    "robustness",
    "run_tasks",
    "sweep",
]
