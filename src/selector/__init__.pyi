"""Type stub of the package: the public names, imported lazily at run time (lazy_loader)."""

from ._errors import (
    InfeasibleError,
    InputProblem,
    InvalidInputError,
    ReserveError,
    SelectorError,
    SolverError,
)
from .baselines import GreedyResult, greedy
from .engine import Model, screen, select, verify
from .explain import Explanation, explain
from .intake import IntakeResult, intake
from .io import load_pabulib, load_proposals, proposals_from_frame, save_proposals
from .model import Indicator, Proposal, ProposalSet
from .outcomes import (
    Calibration,
    OutcomeStore,
    OutcomeTable,
    calibrate,
    fit_calibration,
    load_outcomes,
)
from .problem import Problem
from .proportional import Ballots, RuleComparison, compare_rules, load_ballots
from .reserve import (
    ReserveStore,
    RollingPolicy,
    ScoringConfig,
    backfill,
    carry_over,
    reserve_year,
    score_runner_ups,
)
from .result import Selection, Status
from .rules import Rules, load_rules
from .scenarios import (
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
from .taxonomy import DEFAULT_DOMAINS, DEFAULT_TARGET_GROUPS, Category, Taxonomy

__version__: str

__all__ = [
    "DEFAULT_DOMAINS",
    "DEFAULT_TARGET_GROUPS",
    "Ballots",
    "Calibration",
    "Category",
    "Comparison",
    "Explanation",
    "Frontier",
    "GreedyResult",
    "Indicator",
    "InfeasibleError",
    "InputProblem",
    "IntakeResult",
    "InvalidInputError",
    "Model",
    "OutcomeStore",
    "OutcomeTable",
    "Problem",
    "Proposal",
    "ProposalSet",
    "ReserveError",
    "ReserveStore",
    "RobustChoice",
    "Robustness",
    "RunOptions",
    "RollingPolicy",
    "RuleComparison",
    "Rules",
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
    "calibrate",
    "carry_over",
    "compare",
    "compare_rules",
    "explain",
    "fit_calibration",
    "frontier",
    "greedy",
    "intake",
    "load_ballots",
    "load_outcomes",
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
