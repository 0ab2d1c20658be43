"""One MIP in place of a threshold search: informed guesses for :mod:`selector.engine.whatif`.

A runner-up's cost cut ``Y`` (the smallest whole-yuan cut at which some optimal list
holds it) is found by bisection on re-solves in general. When the proposal's column in
the model is affine in its own cost (true of every rule family: the budget, pool, share
and schedule rows all carry ``cost × constant``), the smallest cut is one MIP::

    min  y                                    (fen, integer, 0 ≤ y ≤ c)
    s.t. the model's rows with x_pid = 1 and its column at cost c − y
         w·x ≥ z*                             (the base optimum)

The answer is only a *guess*: the caller confirms it with the same re-solves a bisection
would end with (it enters at ``Y`` and not at ``Y − 1``) and falls back to the bisection
when a confirmation disagrees, so no claim rests on this module.

Both programs keep the model's rows and add a few (:func:`selector.engine.extend.solve_extended`);
the monthly schedule is left out (:meth:`selector.engine.Model.without_schedule`: a
relaxation, so a guess can only be low).
"""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal

import numpy as np
import scipy.sparse as sp

from selector._errors import SelectorError
from selector.engine.backends import Outcome
from selector.engine.case import Overrides
from selector.engine.extend import Columns, Rows, solve_extended
from selector.engine.model import Model
from selector.engine.options import SolveOptions
from selector.engine.solve import tie_tolerance

__all__ = ["NO_CUT", "cost_cut_guess", "min_cost_with"]

#: Returned by :func:`cost_cut_guess` when no cut at all lets the proposal reach the optimum.
NO_CUT = -1


def _options(solver: str, time_limit: float | None) -> SolveOptions:
    """Proven (gap 0) solves with ``solver`` (CP-SAT asked: HiGHS, the MILP solver the
    engine hands CP-SAT's declined models to)."""
    return SolveOptions(solver="cbc" if solver == "cbc" else "highs", time_limit=time_limit,
                        gap=0.0)


def cost_cut_guess(model: Model, pid: str, target: float, *, solver: str,
                   time_limit: float | None = None) -> int | None:
    """The smallest whole-yuan cut in ``pid``'s cost at which a list holding it reaches
    ``target`` (see the module docstring), :data:`NO_CUT` when none does, ``None`` when
    the model does not have the affine form needed (or the MIP fails)."""
    model = model.without_schedule()
    problem = model.problem
    k = problem.index[pid]
    c = int(problem.cost[k])
    if c <= 0:
        return None
    try:
        full = model.case(Overrides.of(force_in=(pid,))).form
        free = model.case(Overrides.of(force_in=(pid,), cost={pid: Decimal(0)})).form
    except SelectorError:
        return None
    if (full.shape != free.shape or not np.array_equal(full.cand, free.cand)
            or not np.array_equal(full.row_lower, free.row_lower)
            or not np.array_equal(full.row_upper, free.row_upper)):
        return None
    where = np.flatnonzero(full.cand == k)
    if len(where) != 1:
        return None
    j = int(where[0])
    diff = (full.matrix - free.matrix).tocsc()
    diff.eliminate_zeros()
    if int(diff.indptr[j + 1] - diff.indptr[j]) != diff.nnz:
        return None                   # the cost moves more than its own column
    slope = diff[:, j].toarray().ravel() / c          # d(row) / d(cost in fen)
    w = full.objective
    w_slope = (w[j] - free.objective[j]) / c
    if np.any(np.delete(w, j) != np.delete(free.objective, j)):
        return None
    tol = tie_tolerance(full, target)
    # a column y (the cut in fen), and the row w·x − w'·y ≥ target
    objective = np.append(np.zeros(full.shape[1]), 1.0)
    raw = solve_extended(
        full, objective, maximize=False, options=_options(solver, time_limit),
        columns=Columns(np.zeros(1), np.array([float(c)]), np.ones(1, dtype=bool),
                        sp.csr_matrix(-slope.reshape(-1, 1))),
        rows=Rows(sp.csr_matrix(np.append(w, -w_slope).reshape(1, -1)),
                  np.array([target - tol]), np.array([math.inf])))
    if raw.status is Outcome.INFEASIBLE:
        return NO_CUT
    if raw.x is None or raw.status not in (Outcome.OPTIMAL, Outcome.FEASIBLE):
        return None
    y = int(np.rint(raw.x[-1]))
    return -(-y // 100)               # whole yuan, rounded up


def min_cost_with(model: Model, pid: str, target: float, low: Decimal, high: Decimal, *,
                  solver: str, time_limit: float | None = None,
                  certify: bool = True) -> tuple[int | None, bool]:
    """A lower bound (fen) on the money of any list that holds ``pid``, keeps every rule
    for some budget in ``[low, high]`` and serves at least ``target``; ``NO_CUT`` when no
    such list exists, ``None`` when the MIP failed.

    The second value says whether the bound is a *certificate*: the candidates and every
    row but the budget are the same at both ends of the range, so at each budget ``b`` in
    it the lists are those of the range's model costing at most ``b``, the optimum does
    not fall as ``b`` grows, and a proposal selected at ``b`` lies on a list costing at
    most ``b`` that serves at least the optimum at ``low``. With ``certify=False`` the
    model at ``low`` without its budget row is used whatever the range (a guess).
    """
    model = model.without_schedule()
    try:
        case_lo = model.case(Overrides.of(budget=low, force_in=(pid,)))
        f_hi = model.case(Overrides.of(budget=high, force_in=(pid,))).form
    except SelectorError:
        return None, False
    f_lo = case_lo.form
    same = (f_lo.shape == f_hi.shape and np.array_equal(f_lo.cand, f_hi.cand)
            and abs(f_lo.matrix - f_hi.matrix).sum() == 0
            and np.array_equal(f_lo.objective, f_hi.objective))
    budget_rows = np.array([key == "budget" for key in f_lo.row_check], dtype=bool)
    certified = bool(same and budget_rows.sum() == 1
                     and np.array_equal(f_lo.row_lower[~budget_rows], f_hi.row_lower[~budget_rows])
                     and np.array_equal(f_lo.row_upper[~budget_rows], f_hi.row_upper[~budget_rows]))
    if certify and not certified:
        return None, False
    upper = f_lo.row_upper.copy()
    upper[budget_rows] = f_hi.row_upper[budget_rows] if certified else math.inf
    form = replace(f_lo, row_upper=upper)
    money = np.zeros(form.shape[1])
    money[: form.n_x] = case_lo.cost[form.cand].astype(float)
    raw = solve_extended(
        form, money, maximize=False, options=_options(solver, time_limit),
        rows=Rows(sp.csr_matrix(form.objective.reshape(1, -1)),
                  np.array([target - tie_tolerance(form, target)]), np.array([math.inf])))
    if raw.status is Outcome.INFEASIBLE:
        return NO_CUT, certified
    if raw.status is not Outcome.OPTIMAL or not math.isfinite(raw.bound):
        return None, False
    # one fen of margin for the solver's feasibility tolerance on money rows
    return max(0, math.ceil(raw.bound - 1e-6) - 1), certified

