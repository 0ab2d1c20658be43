"""Shared pieces of the scenario functions: solve options, light results.

Money is :mod:`selector.money` (exact fen inside, ``Decimal`` yuan at the edges) and the
solver settings one :class:`~selector.engine.options.SolveOptions`. A scenario
computation ships :class:`Point` records between processes rather than whole
:class:`~selector.Selection` objects (which carry the proposals): a point is the proof
and the list of one solve, small enough to pickle by the thousand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from selector._errors import InfeasibleError, SolverError
from selector.engine import Model
from selector.engine.options import SolveOptions
from selector.model import ProposalSet
from selector.money import MoneyLike, from_fen, to_fen
from selector.result import Selection
from selector.rules import Rules
from selector.scenarios.execution import RunOptions

__all__ = [
    "INFEASIBLE",
    "MoneyLike",
    "Point",
    "RunOptions",
    "SolveOptions",
    "build_model",
    "same_value",
    "settings",
    "solve_point",
]

INFEASIBLE = "infeasible"


#: Keywords a scenario function takes as shorthands for its two settings objects.
SOLVE_KEYS = ("solver", "time_limit", "gap")
RUN_KEYS = ("workers", "executor", "chunks", "progress")


def settings(name: str, options: SolveOptions | None, run: RunOptions | None,
             shorthands: Mapping[str, Any], *, run_keys: tuple[str, ...] = RUN_KEYS
             ) -> tuple[SolveOptions, RunOptions]:
    """The :class:`SolveOptions` and :class:`RunOptions` of a call to scenario function
    ``name``: ``options`` and ``run`` with any shorthand keyword in place of the same
    setting (``solver=``, ``time_limit=``, ``gap=``; ``workers=``, ``executor=``,
    ``chunks=``, ``progress=``).

    Raises
    ------
    TypeError
        A keyword that is neither.
    """
    unknown = sorted(set(shorthands) - set(SOLVE_KEYS) - set(run_keys))
    if unknown:
        raise TypeError(f"{name}() got an unexpected keyword argument {unknown[0]!r}")
    solve = (options or SolveOptions()).merged(
        **{k: shorthands[k] for k in SOLVE_KEYS if k in shorthands})
    where = replace(run or RunOptions(), **{k: shorthands[k] for k in run_keys
                                            if k in shorthands})
    return solve, where


def build_model(proposals: ProposalSet, rules: Rules | None) -> Model:
    """Compile the engine's model once (screening, arrays, constraint matrices)."""
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
            "budget": from_fen(self.budget_fen),
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "cost_used": from_fen(self.cost_fen) if self.feasible else None,
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
        cost_fen=to_fen(selection.total_cost, "total cost", rounding="floor"),
        ids=tuple(selection.selected),
        beneficiaries=float(selection.beneficiaries),
        seconds=float(selection.seconds),
        extra={"tie_break": str(selection.tie_break)},
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
    kwargs = options.solve_kwargs()
    if cost is not None:
        kwargs["cost"] = cost
    if beneficiaries is not None:
        kwargs["beneficiaries"] = beneficiaries
    try:
        selection = model.solve(budget=from_fen(budget_fen), **kwargs)
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
