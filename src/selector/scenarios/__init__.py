"""Scenarios: budget sweeps, the exact efficient frontier, comparisons and robustness.

- :func:`sweep`: the optimum at a list of budgets, as a tidy table;
- :func:`frontier`: every budget at which the optimum improves, found by search;
- :func:`compare`: named scenarios (rules, proposals, budgets) side by side;
- :func:`robustness`: selection frequencies (core / borderline / exterior) under
  uncertain estimates; :func:`robust_select`: the best list in the worst case or at a
  percentile of the sampled scenarios.

Every function takes the same two settings objects with the same defaults:
:class:`SolveOptions` (each solve: solver, time limit, gap) and :class:`RunOptions` (where
the solves run: in this process by default, or local processes, any
:class:`concurrent.futures.Executor` or a Dask client; see
:mod:`selector.scenarios.execution`). Plots are in :mod:`selector.scenarios.plots`.
"""

from __future__ import annotations

from selector.engine.options import SolveOptions
from selector.scenarios.compare import Comparison, Scenario, compare
from selector.scenarios.execution import RunOptions, run_tasks
from selector.scenarios.frontier import Frontier, frontier
from selector.scenarios.robustness import RobustChoice, Robustness, robust_select, robustness
from selector.scenarios.sweep import budget_grid, sweep
from selector.scenarios.uncertainty import Uncertainty

__all__ = [
    "Comparison",
    "Frontier",
    "RobustChoice",
    "Robustness",
    "RunOptions",
    "Scenario",
    "SolveOptions",
    "Uncertainty",
    "budget_grid",
    "compare",
    "frontier",
    "robust_select",
    "robustness",
    "run_tasks",
    "sweep",
]
