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
from selector.model import Indicator, Proposal, ProposalSet
from selector.problem import Problem
from selector.result import Selection, Status
from selector.rules import Rules, load_rules
from selector.taxonomy import DEFAULT_DOMAINS, DEFAULT_TARGET_GROUPS, Category, Taxonomy

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_DOMAINS",
    "DEFAULT_TARGET_GROUPS",
    "Category",
    "Indicator",
    "InfeasibleError",
    "InputProblem",
    "InvalidInputError",
    "Problem",
    "Proposal",
    "ProposalSet",
    "ReserveError",
    "Rules",
    "Selection",
    "SelectorError",
    "SolverError",
    "Status",
    "Taxonomy",
    "__version__",
    "load_rules",
]
