"""The exact efficient frontier: every budget at which the optimum improves.

Definition
----------
Let ``f(B)`` be the optimal objective under all the rules at a budget of ``B`` fen
(``-∞`` when the rules cannot hold at ``B``). Raising the budget only loosens the rules
(the budget row, and the per-project cap ``max_project_share × B``), so ``f`` is a
non-decreasing step function of the integer ``B``. The frontier between ``low`` and
``high`` is the list of its steps: ``low`` itself, then every **breakpoint** ``b`` in
``(low, high]`` with ``f(b) > f(b − 0.01 yuan)``. The optimum is constant from one
breakpoint up to one fen before the next; each row carries the list the engine returns
at that breakpoint (its deterministic tie-break: fewer yuan, then ids), the budget range
it covers, the projects that enter and leave relative to the previous step, and the
**marginal** value ``Δobjective / Δbudget`` (objective per extra yuan) from the previous
breakpoint.

Search (not a grid)
-------------------
Walk down from ``high``. A solve at ``B`` returns the optimum ``v`` and the cheapest
optimal list, spending ``C ≤ B``. That list is feasible at ``C`` (when the only
budget-dependent rule is the budget row), so ``f = v`` on ``[C, B]`` and the step holding
``B`` starts at or below ``C``. Solve at ``C − 1 fen``: the same value means the step
reaches lower still (continue from the new list); a different value proves that ``C``
is a breakpoint. Each breakpoint thus costs about one solve. With
``max_project_share`` the cheapest list may need more than ``C`` (its dearest project
must fit the cap), so the walk first re-solves at ``C`` and, if the value drops there,
bisects on whole fen between ``C`` and ``B``. Solves use ``gap=0`` by default so that
equal objectives are exactly equal: a frontier is exact when every solve is proven
optimal (:attr:`Frontier.proven`).

The range may be cut into chunks solved in parallel (each chunk walks its own part);
the breakpoints do not depend on the chunking.

Every answer is checked against the monotonicity of ``f`` (no list, or a smaller
objective, at a larger budget than a known list): a contradiction can only come from the
solver (e.g. a feasibility tolerance at a budget edge) and raises
:class:`~selector.SolverError` rather than returning a frontier that is not exact.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from selector import _display  # __repr__ and _repr_html_ only
from selector._errors import InputProblem, InvalidInputError, SolverError
from selector.engine import Model
from selector.i18n import DEFAULT_LANG, t
from selector.model import ProposalSet
from selector.money import MoneyLike, from_fen, to_fen
from selector.rules import Rules
from selector.scenarios._common import (
    Point,
    RunOptions,
    SolveOptions,
    build_model,
    same_value,
    settings,
    solve_point,
)
from selector.scenarios.execution import default_workers, run_tasks

__all__ = ["FRONTIER_COLUMNS", "Frontier", "frontier"]

#: Columns of :attr:`Frontier.points`, in order.
FRONTIER_COLUMNS = (
    "budget", "budget_to", "status", "objective", "bound", "cost_used", "count",
    "beneficiaries", "marginal", "ids", "added", "removed",
)


@dataclass(frozen=True)
class Frontier:
    """The exact efficient frontier between two budgets.

    Attributes
    ----------
    points:
        One row per step (see :data:`FRONTIER_COLUMNS`): ``budget`` (where the step
        starts; the first row is ``low``), ``budget_to`` (its last budget, one fen before
        the next step), ``status``, ``objective``, ``bound``, ``cost_used``, ``count``,
        ``beneficiaries``, ``marginal`` (objective per extra yuan since the previous
        step; NaN on the first row), ``ids``, and ``added`` / ``removed`` (ids relative
        to the previous step). Money is exact ``Decimal`` yuan.
    low, high:
        The range searched.
    solves:
        How many solves the search took.
    unproven:
        How many of them stopped before proving optimality (time limit or gap).
    """

    points: pd.DataFrame
    low: Decimal
    high: Decimal
    solves: int
    unproven: int = 0

    def __repr__(self) -> str:
        return f"<Frontier {_display.frontier_repr(self)}>"

    def _repr_html_(self) -> str:
        return _display.frontier_html(self)

    @property
    def proven(self) -> bool:
        """True when every solve of the search was proven optimal (or infeasible)."""
        return self.unproven == 0 and bool(
            self.points["status"].isin(["optimal", "infeasible"]).all())

    @property
    def breakpoints(self) -> list[Decimal]:
        """Budgets at which the optimum improves (the steps after the first)."""
        return list(self.points["budget"].iloc[1:])

    def value_at(self, budget: MoneyLike) -> float:
        """The optimal objective at ``budget`` (in ``[low, high]``), read off the steps.

        NaN when the rules cannot hold at that budget.
        """
        fen = to_fen(budget, "budget")
        if not to_fen(self.low, "budget") <= fen <= to_fen(self.high, "budget"):
            raise InvalidInputError(InputProblem.of("engine.arg.within", name="budget",
                                                    interval=f"[{self.low}, {self.high}]",
                                                    got=str(budget)))
        starts = [to_fen(b, "budget") for b in self.points["budget"]]
        k = max(i for i, s in enumerate(starts) if s <= fen)
        return float(self.points["objective"].iloc[k])


@dataclass(frozen=True)
class _Walk:
    proposals: ProposalSet
    rules: Rules | None
    low: int
    high: int
    options: SolveOptions


@dataclass(frozen=True)
class _WalkResult:
    floor: Point                 # the step holding ``low`` (its list; budget_fen = low)
    steps: list[Point]           # breakpoints in (low, high], ascending; budget_fen = start
    solves: int
    unproven: int


class _Searcher:
    """Counts solves and knows whether a list's cost proves its own feasibility."""

    def __init__(self, model: Model, rules: Rules | None, options: SolveOptions) -> None:
        self.model = model
        self.options = options
        self.verify = rules is not None and rules.max_project_share is not None
        self.solves = 0
        self.unproven = 0
        self._budgets: list[int] = []
        self._points: list[Point] = []

    def solve(self, fen: int) -> Point:
        self.solves += 1
        point = solve_point(self.model, fen, self.options)
        self.unproven += point.status == "feasible"
        self._check_monotone(point)
        return point

    def _check_monotone(self, point: Point) -> None:
        """Refuse answers that contradict ``f`` being non-decreasing (a solver at fault)."""
        k = bisect.bisect_left(self._budgets, point.budget_fen)
        below = self._points[k - 1] if k > 0 else None
        above = self._points[k] if k < len(self._points) else None
        for lower, upper in ((below, point), (point, above)):
            if lower is None or upper is None or not lower.feasible:
                continue
            if not upper.feasible or upper.objective < lower.objective - 1e-9 * max(
                    1.0, abs(lower.objective)):
                raise SolverError(t(
                    "engine.error.not_monotone", DEFAULT_LANG,
                    upper="–" if not upper.feasible else f"{upper.objective:g}",
                    budget=from_fen(upper.budget_fen), lower=f"{lower.objective:g}",
                    smaller=from_fen(lower.budget_fen)), solver_status="monotone")
        self._budgets.insert(k, point.budget_fen)
        self._points.insert(k, point)

    def step_start(self, top: Point, low: int) -> tuple[int, Point, Point | None]:
        """Where the step holding ``top`` starts (clipped at ``low``), the list there, and
        the answer one fen below the start (``None`` when the start is ``low``).

        ``top`` is a feasible point; the step is ``{B : f(B) = f(top.budget)}``.
        """
        current = top
        while True:
            start = max(current.cost_fen, low)
            if self.verify and start < current.budget_fen:
                probe = self.solve(start)
                if not same_value(probe, current):
                    return self._bisect(probe, current)
                current = probe
                if current.cost_fen < start:
                    continue
            if start <= low:
                return low, current, None
            below = self.solve(start - 1)
            if not same_value(below, current):
                return start, current, below
            current = below

    def _bisect(self, bad: Point, good: Point) -> tuple[int, Point, Point]:
        """The smallest budget in ``(bad, good]`` with ``good``'s value, by halving."""
        while good.budget_fen - bad.budget_fen > 1:
            probe = self.solve((bad.budget_fen + good.budget_fen) // 2)
            if same_value(probe, good):
                good = probe
            else:
                bad = probe
        return good.budget_fen, good, bad


def _walk(task: _Walk) -> _WalkResult:
    """Every breakpoint in ``(low, high]`` and the step holding ``low``."""
    model = build_model(task.proposals, task.rules)
    search = _Searcher(model, task.rules, task.options)
    steps: list[Point] = []
    point = search.solve(task.high)
    while point.feasible:
        start, at_start, below = search.step_start(point, task.low)
        if below is None:
            return _WalkResult(_moved(at_start, task.low), steps[::-1], search.solves,
                               search.unproven)
        steps.append(_moved(at_start, start))
        point = below
    if point.budget_fen > task.low:
        search.solve(task.low)  # infeasible here means infeasible below: check it once
    return _WalkResult(_moved(point, task.low), steps[::-1], search.solves, search.unproven)


def _moved(point: Point, fen: int) -> Point:
    """``point`` relabelled as the answer at ``fen`` (same step, same list)."""
    return Point(budget_fen=fen, status=point.status, objective=point.objective,
                 bound=point.bound, gap=point.gap, cost_fen=point.cost_fen, ids=point.ids,
                 beneficiaries=point.beneficiaries, seconds=point.seconds,
                 message=point.message)


def frontier(
    proposals: ProposalSet,
    rules: Rules | None = None,
    low: MoneyLike = 0,
    high: MoneyLike | None = None,
    *,
    options: SolveOptions | None = None,
    run: RunOptions | None = None,
    **shorthands: Any,
) -> Frontier:
    """The exact efficient frontier of the optimum between two budgets.

    See the module docstring for the exact definition and the search.

    Parameters
    ----------
    proposals, rules:
        The call (rules default to ``Rules()``: the budget alone).
    low, high:
        The budget range in yuan (whole fen); ``high`` defaults to the rules' budget.
    options:
        Passed to every solve (:class:`~selector.engine.options.SolveOptions`). Without a
        gap the solves use ``gap=0``, which keeps the frontier exact.
    run:
        Where the search runs (:class:`~selector.scenarios.execution.RunOptions`): by
        default the whole range in this process. The range may be cut into ``chunks``
        (default: one per worker, four per worker with an executor); each chunk costs one
        extra solve and one model build.
    **shorthands:
        ``solver=``, ``time_limit=``, ``gap=``, ``workers=``, ``executor=``, ``chunks=``,
        ``progress=``: one setting of ``options`` or ``run`` each.

    Returns
    -------
    Frontier

    Raises
    ------
    InvalidInputError
        For a range that is empty, negative or not in whole fen.
    SolverError
        A solve failed, or the answers contradict each other (see the module docstring).

    Examples
    --------
    >>> from selector import Proposal, ProposalSet
    >>> from selector.rules import Rules, Eligibility
    >>> ps = ProposalSet.from_proposals([
    ...     Proposal(id=f"P{k}", domain="health", cost=c, beneficiaries=b)
    ...     for k, (c, b) in enumerate([(30, 4), (52, 9), (70, 10), (115, 18)])])
    >>> rules = Rules(completion=None, eligibility=Eligibility(require_indicator=False))
    >>> f = frontier(ps, rules, low=30, high=130, solver="highs", progress=False)
    >>> [(str(b), v) for b, v in zip(f.points["budget"], f.points["objective"])]
    [('30', 4.0), ('52', 9.0), ('70', 10.0), ('82', 13.0), ('100', 14.0), ('115', 18.0), ('122', 19.0)]
    >>> f.solves  # one solve per step
    7
    """
    lo = to_fen(low, "low")
    if high is None:
        if rules is None or rules.total_budget is None:
            raise InvalidInputError(InputProblem.of("engine.arg.no_high"))
        high = rules.total_budget
    hi = to_fen(high, "high")
    if hi < lo:
        raise InvalidInputError(InputProblem.of("engine.arg.at_least", name="high", min=str(from_fen(lo)),
                                                got=str(from_fen(hi))))
    options, where = settings("frontier", options, run, shorthands)
    if options.gap is None:
        options = options.merged(gap=0.0)
    edges = _edges(lo, hi, where.parts() if where.chunks is not None or where.executor is not None
                   else where.workers or default_workers())
    tasks = [_Walk(proposals, rules, a, b, options) for a, b in zip(edges, edges[1:], strict=False)]
    if not tasks:
        tasks = [_Walk(proposals, rules, lo, hi, options)]
    results = run_tasks(_walk, tasks, executor=where.executor, workers=where.workers,
                        progress=where.progress, description="Frontier")
    steps = [results[0].floor] + [s for r in results for s in r.steps]
    return Frontier(points=_frame(steps, hi), low=from_fen(lo), high=from_fen(hi),
                    solves=sum(r.solves for r in results),
                    unproven=sum(r.unproven for r in results))


def _edges(lo: int, hi: int, parts: int) -> list[int]:
    """Chunk boundaries ``lo = e0 < e1 < ... = hi`` (fewer when the range is short)."""
    parts = max(1, min(parts, hi - lo))
    return sorted({lo + (hi - lo) * k // parts for k in range(parts + 1)})


def _frame(steps: Sequence[Point], hi: int) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for k, p in enumerate(steps):
        row = p.row()
        nxt = steps[k + 1].budget_fen - 1 if k + 1 < len(steps) else hi
        row["budget_to"] = from_fen(nxt)
        if k == 0:
            row["marginal"] = math.nan
            row["added"], row["removed"] = (), ()
        else:
            prev = steps[k - 1]
            before = prev.objective if prev.feasible else math.nan
            row["marginal"] = (p.objective - before) / float(from_fen(p.budget_fen - prev.budget_fen))
            old = set(prev.ids)
            new = set(p.ids)
            row["added"] = tuple(i for i in p.ids if i not in old)
            row["removed"] = tuple(i for i in prev.ids if i not in new)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(FRONTIER_COLUMNS))
