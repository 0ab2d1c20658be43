"""Shared pieces of the scenario functions: money in fen, solve options, light results.

A scenario computation ships :class:`Point` records between processes rather than
whole :class:`~selector.Selection` objects (which carry the proposals): a point is the
proof and the list of one solve, small enough to pickle by the thousand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from selector._errors import InfeasibleError, InvalidInputError, SolverError

if TYPE_CHECKING:
    from selector.engine import Model
    from selector.model import ProposalSet
    from selector.result import Selection
    from selector.rules import Rules

__all__ = [
    "INFEASIBLE",
    "Point",
    "SolveOptions",
    "build_model",
    "same_value",
    "solve_point",
    "to_fen",
    "to_yuan",
]

INFEASIBLE = "infeasible"
MoneyLike = Decimal | int | float | str


def to_fen(value: MoneyLike, what: str = "budget") -> int:
    """An amount of money in exact minor units (fen).

    Examples
    --------
    >>> to_fen("1234.56"), to_fen(10)
    (123456, 1000)
    """
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInputError(f"{what} must be a number of yuan, got {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidInputError(f"{what} must be a finite amount >= 0, got {value!r}")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise InvalidInputError(f"{what} must be a whole number of fen (0.01), got {value!r}")
    return int(fen)


def to_yuan(fen: int) -> Decimal:
    """Exact major units of ``fen`` minor units.

    Examples
    --------
    >>> to_yuan(123456), to_yuan(1000)
    (Decimal('1234.56'), Decimal('10'))
    """
    return Decimal(int(fen)) / 100


@dataclass(frozen=True)
class SolveOptions:
    """Solver settings passed to every re-solve (``None`` = the engine's default)."""

    solver: str | None = None
    time_limit: float | None = None
    gap: float | None = None

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Model.solve``."""
        out: dict[str, Any] = {"diagnose": False}
        if self.solver is not None:
            out["solver"] = self.solver
        if self.time_limit is not None:
            out["time_limit"] = self.time_limit
        if self.gap is not None:
            out["gap"] = self.gap
        return out


def build_model(proposals: ProposalSet, rules: Rules | None) -> Model:
    """Compile the engine's model once (screening, arrays, constraint matrices)."""
    from selector.engine import Model

    return Model.build(proposals, rules)


@dataclass(frozen=True)
class Point:
    """The outcome of one solve, small enough to ship between processes.

    Attributes
    ----------
    budget_fen:
        The budget solved at, in minor units.
    status:
        ``"optimal"``, ``"feasible"`` (gap not closed), ``"infeasible"`` or ``"error"``.
    objective, bound, gap:
        The proof (NaN when there is no list).
    cost_fen:
        Money the list spends, in minor units (0 when there is no list).
    ids:
        The selected ids, in input order.
    beneficiaries:
        Estimated beneficiaries of the list.
    seconds:
        Time of the solve.
    message:
        Why there is no list (infeasible or error), in words.
    """

    budget_fen: int
    status: str
    objective: float = math.nan
    bound: float = math.nan
    gap: float = math.nan
    cost_fen: int = 0
    ids: tuple[str, ...] = ()
    beneficiaries: float = math.nan
    seconds: float = math.nan
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        """True when the solve returned a list."""
        return self.status in ("optimal", "feasible")

    @property
    def count(self) -> int:
        """Number of selected proposals."""
        return len(self.ids)

    def row(self) -> dict[str, Any]:
        """The tidy-table row of this point (money as exact ``Decimal`` yuan)."""
        return {
            "budget": to_yuan(self.budget_fen),
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "cost_used": to_yuan(self.cost_fen) if self.feasible else None,
            "count": self.count if self.feasible else 0,
            "beneficiaries": self.beneficiaries,
            "ids": self.ids,
            "seconds": self.seconds,
            "message": self.message,
        }


def point_of(selection: Selection, budget_fen: int) -> Point:
    """The :class:`Point` of a solved :class:`~selector.Selection`."""
    return Point(
        budget_fen=budget_fen,
        status=selection.status.value,
        objective=float(selection.objective),
        bound=float(selection.bound),
        gap=float(selection.gap),
        cost_fen=to_fen(selection.total_cost, "total cost"),
        ids=tuple(selection.selected),
        beneficiaries=float(selection.beneficiaries),
        seconds=float(selection.seconds),
        extra={"tie_break": selection.tie_break},
    )


def solve_point(
    model: Model,
    budget_fen: int,
    options: SolveOptions,
    *,
    catch_errors: bool = False,
    cost: Mapping[str, Decimal] | None = None,
    beneficiaries: Mapping[str, float] | None = None,
) -> Point:
    """Re-solve ``model`` at ``budget_fen``; an infeasible budget gives an infeasible point.

    A :class:`~selector.SolverError` is raised, or recorded as an ``"error"`` point when
    ``catch_errors`` is true.
    """
    kwargs = options.kwargs()
    if cost is not None:
        kwargs["cost"] = cost
    if beneficiaries is not None:
        kwargs["beneficiaries"] = beneficiaries
    try:
        selection = model.solve(budget=to_yuan(budget_fen), **kwargs)
    except InfeasibleError as exc:
        return Point(budget_fen=budget_fen, status=INFEASIBLE, message=str(exc))
    except SolverError as exc:
        if not catch_errors:
            raise
        return Point(budget_fen=budget_fen, status="error", message=str(exc))
    return point_of(selection, budget_fen)


def same_value(a: Point, b: Point) -> bool:
    """True when two solves reach the same optimal objective (both infeasible counts)."""
    if not a.feasible or not b.feasible:
        return a.feasible == b.feasible
    scale = max(1.0, abs(a.objective), abs(b.objective))
    return abs(a.objective - b.objective) <= 1e-9 * scale
