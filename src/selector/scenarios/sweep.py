"""Budget sweeps: the optimum at each of a list of budgets, as one tidy table.

The model is compiled once per chunk of budgets and re-solved with a budget override
for every budget of the chunk (:meth:`selector.engine.Model.solve`), so a sweep costs
one build per chunk plus the solves. Chunks run in this process by default, or on local
processes or any executor (see :mod:`selector.scenarios.execution`); the table is the
same whichever runs them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import pandas as pd

from selector._errors import InputProblem, InvalidInputError
from selector.engine import Model
from selector.model import ProposalSet
from selector.money import MoneyLike, from_fen, to_fen
from selector.result import Status, TieBreak
from selector.rules import Rules
from selector.scenarios._common import (
    Point,
    RunOptions,
    SolveOptions,
    build_model,
    settings,
    solve_point,
)
from selector.scenarios.execution import chunked, run_tasks

__all__ = ["SWEEP_COLUMNS", "budget_grid", "sweep"]

#: Columns of the table :func:`sweep` returns, in order.
SWEEP_COLUMNS = (
    "budget", "status", "objective", "bound", "gap", "cost_used", "count", "beneficiaries",
    "marginal", "ids", "seconds", "message",
)


def budget_grid(start: MoneyLike, stop: MoneyLike, num: int) -> list[Decimal]:
    """``num`` evenly spaced budgets from ``start`` to ``stop`` (both included), in whole fen.

    Inner points are rounded down to the fen.

    Examples
    --------
    >>> budget_grid(0, 1, 4)
    [Decimal('0'), Decimal('0.33'), Decimal('0.66'), Decimal('1')]
    """
    if num < 1:
        raise InvalidInputError(InputProblem.of("engine.arg.at_least", name="num", min=1, got=num))
    lo, hi = to_fen(start, "start"), to_fen(stop, "stop")
    if num == 1:
        return [from_fen(lo)]
    return [from_fen(lo + (hi - lo) * k // (num - 1)) for k in range(num)]


@dataclass(frozen=True)
class _Chunk:
    proposals: ProposalSet
    rules: Rules | None
    budgets: tuple[int, ...]
    options: SolveOptions


def _solve_chunk(chunk: _Chunk) -> list[Point]:
    """Solve a chunk's budgets from the largest down, reusing proven answers.

    An optimal list found at budget ``b`` is also the answer at every budget down to
    :meth:`~selector.engine.Model.answer_holds_from` (its cost, raised for
    ``max_project_share``). Such points
    are answered without a solve (``seconds`` 0, ``message`` names the budget solved).
    Only lists whose tie-break ran to the end are reused, so every row is the list an
    independent solve returns.
    """
    model = build_model(chunk.proposals, chunk.rules)
    known: list[tuple[int, int, Point]] = []
    done: dict[int, Point] = {}
    for b in sorted(set(chunk.budgets), reverse=True):
        hit = next((p for low, high, p in known if low <= b <= high), None)
        if hit is not None:
            done[b] = replace(hit, budget_fen=b, seconds=0.0,
                              message=f"the list solved at budget {from_fen(hit.budget_fen)}")
            continue
        point = solve_point(model, b, chunk.options, catch_errors=True)
        done[b] = point
        low = _valid_from(model, point)
        if low is not None and low <= b:
            known.append((low, b, point))
    return [done[b] for b in chunk.budgets]


def _valid_from(model: Model, point: Point) -> int | None:
    """The least budget (fen) down to which ``point``'s list stays the answer
    (:meth:`~selector.engine.Model.answer_holds_from`), or ``None`` when it may not be
    reused."""
    if point.status != Status.OPTIMAL or point.extra.get("tie_break") not in (
            TieBreak.DONE, TieBreak.NOT_NEEDED):
        return None
    return model.answer_holds_from(point.ids, point.cost_fen)


def sweep(
    proposals: ProposalSet,
    rules: Rules | None = None,
    budgets: Iterable[MoneyLike] = (),
    *,
    options: SolveOptions | None = None,
    run: RunOptions | None = None,
    **shorthands: Any,
) -> pd.DataFrame:
    """The optimum at every budget of ``budgets``, one row each, in the order given.

    Parameters
    ----------
    proposals, rules:
        The call; each budget overrides the rules' budget.
    budgets:
        Amounts in yuan (whole fen), e.g. from :func:`budget_grid`.
    options:
        Passed to every solve (:class:`~selector.engine.options.SolveOptions`; default:
        the engine's).
    run:
        Where the solves run (:class:`~selector.scenarios.execution.RunOptions`; default:
        in this process, with a progress bar). A chunk of budgets builds the model once.
    **shorthands:
        ``solver=``, ``time_limit=``, ``gap=``, ``workers=``, ``executor=``, ``chunks=``,
        ``progress=``: one setting of ``options`` or ``run`` each.

    Returns
    -------
    pandas.DataFrame
        :data:`SWEEP_COLUMNS`: ``budget`` and ``cost_used`` are exact ``Decimal`` yuan;
        ``status`` is optimal / feasible / infeasible / error (``message`` says why);
        ``ids`` is a tuple of the selected ids; a row answered by a list proven at a
        larger budget (no solve: see :func:`_solve_chunk`) has ``seconds`` 0 and its
        ``message`` names that budget; ``marginal`` is the change of the
        objective per extra yuan from the previous row in budget order (NaN for the
        smallest budget, or next to an infeasible one).

    Examples
    --------
    >>> from selector.datasets import generate_call
    >>> from selector.rules import Rules, Eligibility
    >>> call = generate_call(10, seed=2)
    >>> rules = Rules(completion=None, eligibility=Eligibility(require_indicator=False))
    >>> table = sweep(call, rules, budget_grid(300_000, 700_000, 3),
    ...               solver="highs", workers=1, progress=False)
    >>> list(table["budget"])
    [Decimal('300000'), Decimal('500000'), Decimal('700000')]
    >>> bool(table["objective"].is_monotonic_increasing)
    True
    """
    fens = [to_fen(b, "budget") for b in budgets]
    options, where = settings("sweep", options, run, shorthands)
    groups = chunked(fens, where.parts()) if fens else []
    tasks = [_Chunk(proposals, rules, tuple(g), options) for g in groups]
    results = run_tasks(_solve_chunk, tasks, executor=where.executor, workers=where.workers,
                        progress=where.progress, description="Sweep",
                        sizes=[len(g) for g in groups])
    points = [p for chunk in results for p in chunk]
    return sweep_frame(points)


def sweep_frame(points: list[Point]) -> pd.DataFrame:
    """The tidy table of a list of solved points (see :func:`sweep`)."""
    rows = [p.row() for p in points]
    frame = pd.DataFrame(rows, columns=list(SWEEP_COLUMNS))
    frame["marginal"] = _marginal(points)
    return frame


def _marginal(points: list[Point]) -> list[float]:
    """Objective per extra yuan from the next-smaller budget of the sweep."""
    order = sorted(range(len(points)), key=lambda k: points[k].budget_fen)
    out = [math.nan] * len(points)
    for prev, k in zip(order, order[1:], strict=False):
        a, b = points[prev], points[k]
        if a.feasible and b.feasible and b.budget_fen > a.budget_fen:
            out[k] = (b.objective - a.objective) / float(from_fen(b.budget_fen - a.budget_fen))
    return out
