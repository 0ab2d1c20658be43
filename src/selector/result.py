"""The result of a selection.

A :class:`Selection` is what :func:`selector.select` returns: the chosen ids, the proof
(status, objective, bound, gap), how each pool pays, the schedule, and why every
non-candidate was screened out. It never holds solver objects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from selector import _display
from selector.i18n import DEFAULT_LANG, Lang, t

if TYPE_CHECKING:
    from selector.engine.families import Reason, RuleCheck
    from selector.model import ProposalSet
    from selector.rules import Rules

__all__ = ["Backend", "Fallback", "FallbackReason", "Route", "Selection", "SolverRecord", "Status",
           "TieBreak"]


class Status(StrEnum):
    """Outcome of a solve."""

    OPTIMAL = "optimal"          # proven optimal (gap within the requested tolerance)
    FEASIBLE = "feasible"        # a verified list, optimality not proven (gap reported)
    INFEASIBLE = "infeasible"    # the rules cannot all hold
    ERROR = "error"              # the solver failed


class Backend(StrEnum):
    """Who found the list (the name a :class:`SolverRecord` reads as)."""

    CBC = "cbc"                  # COIN-OR CBC, bundled with PuLP
    HIGHS = "highs"              # HiGHS through highspy
    CPSAT = "cpsat"              # OR-Tools CP-SAT, in exact integers
    KNAPSACK = "knapsack"        # our own exact budget-only code (no solver)
    LP_CORE = "lp-core"          # HiGHS on the LP-guided core, proven by the whole LP's bound
    NONE = "none"                # no solver was needed (no candidate at all)


class Route(StrEnum):
    """Which path of the engine answered; chosen by the model's shape (see
    :mod:`selector.engine.solve`), whatever solver was asked for."""

    EMPTY = "empty"                  # no candidate: the empty list, if the rules allow it
    KNAPSACK_DP = "knapsack-dp"      # budget only, whole-number weights: exact dynamic programme
    KNAPSACK_CORE = "knapsack-core"  # budget only, 5,000+ candidates: core knapsack with a proof
    CPSAT = "cpsat"                  # whole-number model of modest size: CP-SAT, all stages
    LP_CORE = "lp-core"              # large model: a core fixed by the LP, proven by its bound
    MILP = "milp"                    # the general integer programme with the solver asked for


class FallbackReason(StrEnum):
    """Why one solver's answer was set aside for another's."""

    ERROR = "error"                      # it reported an error or crashed
    FRACTIONAL = "fractional"            # it returned fractional values as its integer answer
    UNCONFIRMED_INFEASIBLE = "unconfirmed-infeasible"  # it said infeasible; another found a list
    WRONG_PROOF = "wrong-proof"          # it proved a value another solver beat
    WORK_LIMIT = "work-limit"            # it stopped at its work limit without a proof
    NOT_PROVEN = "not-proven"            # its list was not proven within the gap


class TieBreak(StrEnum):
    """How ties among equal optima were broken (see :attr:`Selection.tie_break`)."""

    DONE = "done"
    STOPPED = "stopped early"
    OFF = "off"
    NOT_NEEDED = "not needed"


@dataclass(frozen=True)
class Fallback:
    """One solver answer set aside: which solver, why, and its own words."""

    backend: Backend
    reason: FallbackReason
    detail: str = ""

    def describe(self, lang: Lang = DEFAULT_LANG) -> str:
        """This fallback in words."""
        return t(f"engine.fallback.{self.reason.name.lower()}", lang,
                 backend=self.backend.value, detail=self.detail)


class SolverRecord(str):
    """Which solver answered, by which route, after which fallbacks.

    It *is* a string, the name of the backend that found the list (``"cbc"``, ``"highs"``,
    ``"cpsat"``, ``"knapsack"``, ``"lp-core"``, ``"none"``), so code that reads
    ``selection.solver`` as text keeps working; the fields carry the rest. Two records
    compare equal when their names are equal.

    Attributes
    ----------
    backend:
        Who found the list.
    version:
        That solver's version (or the method, for our own code).
    asked:
        The solver the caller asked for.
    route:
        The engine's path (chosen by the model's shape).
    fallbacks:
        Every answer set aside on the way, in order.
    raw_status:
        The solver's own last words.

    Examples
    --------
    >>> r = SolverRecord(Backend.CBC, version="CBC 2.10.3", asked="highs",
    ...                  fallbacks=(Fallback(Backend.HIGHS, FallbackReason.ERROR, "Solve error"),))
    >>> r == "cbc", str(r), r.fallbacks[0].reason.value
    (True, 'cbc', 'error')
    """

    backend: Backend
    version: str
    asked: str
    route: Route
    fallbacks: tuple[Fallback, ...]
    raw_status: str

    def __new__(cls, backend: Backend | str, *, version: str = "", asked: str = "",
                route: Route | str = Route.MILP, fallbacks: tuple[Fallback, ...] = (),
                raw_status: str = "") -> SolverRecord:
        name = Backend(backend)
        self = super().__new__(cls, name.value)
        for key, value in (("backend", name), ("version", version), ("asked", asked),
                           ("route", Route(route)), ("fallbacks", tuple(fallbacks)),
                           ("raw_status", raw_status)):
            object.__setattr__(self, key, value)
        return self

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError("a SolverRecord is read-only")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_solver_record, ({"backend": self.backend.value, "version": self.version,
                                  "asked": self.asked, "route": self.route.value,
                                  "fallbacks": self.fallbacks, "raw_status": self.raw_status},))

    def __repr__(self) -> str:
        return (f"SolverRecord({self.backend.value!r}, route={self.route.value!r}, "
                f"asked={self.asked!r}, fallbacks={len(self.fallbacks)})")

    @classmethod
    def none(cls) -> SolverRecord:
        """The record of a selection no solver answered (a default)."""
        return cls(Backend.NONE, route=Route.EMPTY)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (enums as their text)."""
        return {"backend": self.backend.value, "version": self.version, "asked": self.asked,
                "route": self.route.value, "raw_status": self.raw_status,
                "fallbacks": [{k: str(v) for k, v in asdict(f).items()}
                              for f in self.fallbacks]}

    def label(self, lang: Lang = DEFAULT_LANG) -> str:
        """The solver and the route in a few words, for a summary line: the solver's name
        and version (the catalogue's name when there is no version), the route, and the
        solver it was taken over from after a fallback.

        Examples
        --------
        >>> SolverRecord(Backend.HIGHS, version="HiGHS 1.16.0").label("en")
        'HiGHS 1.16.0, integer programme'
        >>> SolverRecord(Backend.CBC, version="CBC (PuLP 3.3.2)", fallbacks=(
        ...     Fallback(Backend.HIGHS, FallbackReason.ERROR, "Solve error"),)).label("zh")
        'CBC (PuLP 3.3.2)，整数规划（由 HiGHS 转来）'
        """
        solver = self.version or t(f"engine.backend.{self.backend.name.lower()}", lang)
        text = t("engine.record.label", lang, solver=solver,
                 route=t(f"engine.route_name.{self.route.name.lower()}", lang))
        if self.fallbacks:
            first = self.fallbacks[0].backend
            text += t("engine.record.taken_over", lang,
                      backend=t(f"engine.backend.{first.name.lower()}", lang))
        return text

    def describe(self, lang: Lang = DEFAULT_LANG) -> str:
        """The route and every fallback in words, e.g. for a report's provenance."""
        parts = [t(f"engine.route.{self.route.name.lower()}", lang, backend=self.backend.value,
                   asked=self.asked or self.backend.value)]
        parts += [f.describe(lang) for f in self.fallbacks]
        return t("engine.record.join", lang).join(parts)


def _solver_record(fields: dict[str, Any]) -> SolverRecord:
    """Rebuild a pickled :class:`SolverRecord`."""
    return SolverRecord(fields.pop("backend"), **fields)


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
        ``{id: (reason, ...)}`` for every proposal that was never a candidate (English; a
        read-only mapping that renders a proposal's reasons when they are first read).
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
        Which solver answered (a :class:`SolverRecord`: reads as the solver's name, and
        carries the route, the solver asked for and any fallbacks), its version, and how
        long the whole call took.
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
    ineligible: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    ineligible_reasons: Mapping[str, tuple[Reason, ...]] = field(default_factory=dict)
    binding: tuple[str, ...] = ()
    checks: tuple[RuleCheck, ...] = ()
    forced_in: dict[str, str] = field(default_factory=dict)
    forced_out: dict[str, str] = field(default_factory=dict)
    solver: SolverRecord = field(default_factory=SolverRecord.none)
    solver_version: str = ""
    seconds: float = math.nan
    timings: dict[str, float] = field(default_factory=dict)
    tie_break: TieBreak = TieBreak.NOT_NEEDED

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
        """Every proposal with its decision, ready for pandas.

        One row per proposal (input order). Numbers are numeric columns: ``cost`` in yuan
        as ``float64`` (``cost_exact`` keeps the exact :class:`~decimal.Decimal`),
        ``paid_<pool>`` (float yuan paid by each pool; 0 when unselected), ``start_month``
        (``Int64``, missing when unscheduled). Multi-valued cells are text, never tuples:
        ``target_groups``, ``pools``, ``requires``, ``excludes`` joined with ``" | "`` (the
        loaders' separator), ``indicators`` as ``name=target unit; ...``. ``status`` is
        ``selected`` / ``not selected`` / ``ineligible``; ``ineligible_reasons`` joins the
        reasons with ``"; "``.

        Examples
        --------
        >>> from selector.datasets import generate_call
        >>> from selector.engine import Model
        >>> from selector.rules import Rules
        >>> frame = Model.build(generate_call(20, seed=1), Rules(budget=600_000)).solve().to_frame()
        >>> str(frame["cost"].dtype), frame["target_groups"].map(type).eq(str).all()
        ('float64', np.True_)
        """
        out = self.proposals.to_frame()
        chosen = set(self.selected)
        exact = out["cost"]
        out["cost"] = np.array([float(v) for v in exact], dtype=np.float64)
        out.insert(list(out.columns).index("cost") + 1, "cost_exact", exact)
        for column in out.columns:
            if out[column].dtype == object and out[column].map(
                    lambda v: isinstance(v, tuple)).any():
                out[column] = pd.Series([_cell_text(v) for v in out[column]], index=out.index)
        for pool in self.rules.pools:
            out[f"paid_{pool.name}"] = np.array(
                [float(self.pool_payments.get(i, {}).get(pool.name, 0)) for i in out["id"]],
                dtype=np.float64)
        out["start_month"] = pd.array([self.schedule.get(i) for i in out["id"]], dtype="Int64")
        out["status"] = [
            "selected" if i in chosen else ("ineligible" if i in self.ineligible else "not selected")
            for i in out["id"]
        ]
        out["ineligible_reasons"] = ["; ".join(self.ineligible.get(i, ())) for i in out["id"]]
        return out

    def __repr__(self) -> str:
        """One line: status, count, beneficiaries, spend against the budget, solver."""
        return f"<Selection {_display.selection_repr(self)}>"

    def _repr_html_(self) -> str:
        """A notebook's view: the headline figures and the first selected projects."""
        return _display.selection_html(self)

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
            "solver": str(self.solver),
            "solver_version": self.solver_version,
            "solver_record": self.solver.to_dict(),
            "tie_break": self.tie_break.value,
            "seconds": self.seconds,
        }


def _cell_text(value: object) -> object:
    """A multi-valued cell as text (``a | b``; indicators ``name=target unit; ...``)."""
    if not isinstance(value, tuple):
        return value
    if value and all(isinstance(v, tuple) for v in value):  # indicators: (name, target, unit)
        parts = []
        for name, target, unit in value:
            shown = "" if target is None or target != target else f"={target:g}"
            parts.append(f"{name}{shown}{unit or ''}")
        return "; ".join(parts)
    return " | ".join(str(v) for v in value)
