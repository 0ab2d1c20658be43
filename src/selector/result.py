"""The result of a selection.

A :class:`Selection` is what :func:`selector.select` returns: the chosen ids, the proof
(status, objective, bound, gap), how each pool pays, the schedule, and why every
non-candidate was screened out. It never holds solver objects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from selector.engine.families import Reason, RuleCheck
    from selector.model import ProposalSet
    from selector.rules import Rules

__all__ = ["Selection", "Status"]


class Status(StrEnum):
    """Outcome of a solve."""

    OPTIMAL = "optimal"          # proven optimal (gap within the requested tolerance)
    FEASIBLE = "feasible"        # a verified list, optimality not proven (gap reported)
    INFEASIBLE = "infeasible"    # the rules cannot all hold
    ERROR = "error"              # the solver failed


@dataclass(frozen=True)
class Selection:
    """A verified selection.

    Attributes
    ----------
    status, objective, bound, gap:
        The proof: the objective of the list, the solver's best bound, and the relative
        gap ``(bound - objective) / max(1, |objective|)``.
    selected:
        Ids of the selected proposals, in input order.
    total_cost:
        Exact money spent (major units).
    beneficiaries:
        Sum of estimated beneficiaries of the selection (whatever the objective).
    pool_payments:
        ``{id: {pool: amount}}`` in major units (empty when the rules have no pools).
    schedule:
        ``{id: start month}`` when the rules ask for a monthly schedule.
    ineligible:
        ``{id: (reason, ...)}`` for every proposal that was never a candidate (English).
    ineligible_reasons:
        The same reasons structured (``Reason``: a code and its parameters, rendered in
        any language with ``reason.render(lang)``).
    binding:
        Keys of the rule checks that are tight at the optimum (see ``checks``).
    checks:
        Every limit of the rules at this list, checked exactly by the engine's verifier
        (``RuleCheck``: key, limit, achieved, met, members); reports format these.
    forced_in, forced_out:
        ``{id: reason}`` from the rules.
    solver, solver_version, seconds:
        Which solver answered and how long the whole call took.
    proposals, rules:
        The inputs (for reports, explanations and re-solves).
    tie_break:
        How ties among equal optima were broken: ``"done"`` (fewest yuan, then id order,
        both proven), ``"stopped early"`` (a tie-break stage hit its time share; the list
        is still optimal in the objective, only perhaps not the cheapest of the optima),
        ``"off"`` (skipped: large model or ``tie_break=False``), ``"not needed"``.
    """

    status: Status
    objective: float
    bound: float
    gap: float
    selected: tuple[str, ...]
    total_cost: Decimal
    beneficiaries: float
    proposals: ProposalSet
    rules: Rules
    budget: Decimal | None = None
    pool_payments: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    schedule: dict[str, int] = field(default_factory=dict)
    ineligible: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ineligible_reasons: dict[str, tuple[Reason, ...]] = field(default_factory=dict)
    binding: tuple[str, ...] = ()
    checks: tuple[RuleCheck, ...] = ()
    forced_in: dict[str, str] = field(default_factory=dict)
    forced_out: dict[str, str] = field(default_factory=dict)
    solver: str = ""
    solver_version: str = ""
    seconds: float = math.nan
    timings: dict[str, float] = field(default_factory=dict)
    tie_break: str = ""

    @property
    def count(self) -> int:
        """Number of selected proposals."""
        return len(self.selected)

    @property
    def is_optimal(self) -> bool:
        """True when the list is proven optimal."""
        return self.status is Status.OPTIMAL

    def selected_frame(self) -> pd.DataFrame:
        """The selected proposals (user-facing columns), in input order."""
        return self.proposals.subset(list(self.selected)).to_frame()

    def to_frame(self) -> pd.DataFrame:
        """Every proposal with a ``status`` column: selected / not selected / ineligible."""
        out = self.proposals.to_frame()
        chosen = set(self.selected)
        out["status"] = [
            "selected" if i in chosen else ("ineligible" if i in self.ineligible else "not selected")
            for i in out["id"]
        ]
        out["ineligible_reasons"] = ["; ".join(self.ineligible.get(i, ())) for i in out["id"]]
        return out

    def to_dict(self) -> dict[str, Any]:
        """The full result as JSON-ready data (money as strings, exact)."""
        return {
            "status": self.status.value,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "selected": list(self.selected),
            "count": self.count,
            "total_cost": str(self.total_cost),
            "budget": None if self.budget is None else str(self.budget),
            "beneficiaries": self.beneficiaries,
            "currency": self.proposals.currency,
            "pool_payments": {i: {p: str(a) for p, a in pools.items()}
                              for i, pools in self.pool_payments.items()},
            "schedule": dict(self.schedule),
            "ineligible": {i: list(r) for i, r in self.ineligible.items()},
            "binding": list(self.binding),
            "forced_in": dict(self.forced_in),
            "forced_out": dict(self.forced_out),
            "solver": self.solver,
            "solver_version": self.solver_version,
            "seconds": self.seconds,
        }
