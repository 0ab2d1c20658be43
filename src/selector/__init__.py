"""selector: exact, explainable selection of proposals for public funding.

Three lines::

    import selector
    proposals = selector.load_proposals("examples/proposals.csv")
    result = selector.select(proposals, selector.load_rules("examples/rules.toml"))
"""

from __future__ import annotations

from selector._errors import (
    InfeasibleError,
    InputProblem,
    InvalidInputError,
    ReserveError,
    SelectorError,
    SolverError,
)
from selector.baselines import GreedyResult, greedy
from selector.engine import Model, screen, select, verify
from selector.explain import Explanation, explain
from selector.io import load_pabulib, load_proposals, proposals_from_frame, save_proposals
from selector.model import Indicator, Proposal, ProposalSet
from selector.problem import Problem
from selector.reserve import (
    ReserveStore,
    RollingPolicy,
    ScoringConfig,
    backfill,
    carry_over,
    reserve_year,
    score_runner_ups,
)
from selector.result import Selection, Status
from selector.rules import Rules, load_rules
from selector.scenarios import (
    Comparison,
    Frontier,
    RobustChoice,
    Robustness,
    RunOptions,
    Scenario,
    SolveOptions,
    Uncertainty,
    budget_grid,
    compare,
    frontier,
    robust_select,
    robustness,
    sweep,
)
from selector.taxonomy import DEFAULT_DOMAINS, DEFAULT_TARGET_GROUPS, Category, Taxonomy

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_DOMAINS",
    "DEFAULT_TARGET_GROUPS",
    "Category",
    "Comparison",
    "Explanation",
    "Frontier",
    "GreedyResult",
    "Indicator",
    "InfeasibleError",
    "InputProblem",
    "InvalidInputError",
    "Model",
    "Problem",
    "Proposal",
    "ProposalSet",
    "ReserveError",
    "ReserveStore",
    "RobustChoice",
    "Robustness",
    "RollingPolicy",
    "Rules",
    "RunOptions",
    "Scenario",
    "ScoringConfig",
    "Selection",
    "SelectorError",
    "SolveOptions",
    "SolverError",
    "Status",
    "Taxonomy",
    "Uncertainty",
    "__version__",
    "backfill",
    "budget_grid",
    "carry_over",
    "compare",
    "explain",
    "frontier",
    "greedy",
    "load_pabulib",
    "load_proposals",
    "load_rules",
    "proposals_from_frame",
    "reserve_year",
    "robust_select",
    "robustness",
    "save_proposals",
    "score_runner_ups",
    "screen",
    "select",
    "sweep",
    "verify",
]
