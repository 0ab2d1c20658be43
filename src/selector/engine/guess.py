"""One MIP in place of a threshold search: informed guesses for :mod:`selector.whatif`.

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
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from selector._errors import SelectorError
from selector.engine.backends import MatrixModel
from selector.engine.solve import INTEGER_ABS_GAP, run, tie_tolerance

if TYPE_CHECKING:
    from selector.engine.model import Model

__all__ = ["NO_CUT", "cost_cut_guess", "min_cost_with", "without_schedule"]

#: Returned by :func:`cost_cut_guess` when no cut at all lets the proposal reach the optimum.
NO_CUT = -1


def without_schedule(model: Model) -> Model:
    """``model`` without its monthly schedule (a relaxation with the same candidates),
    compiled once and kept on the model."""
    if model.rules.schedule is None:
        return model
    relaxed: Model | None = getattr(model, "_without_schedule", None)
    if relaxed is None:
        from selector.engine.model import Model as _Model

        relaxed = _Model.build(model.proposals,
                               model.rules.model_copy(update={"schedule": None}),
                               budget=model.budget, solver=model.default_solver)
        model._without_schedule = relaxed  # type: ignore[attr-defined]
    return relaxed


def cost_cut_guess(model: Model, pid: str, target: float, *, solver: str,
                   time_limit: float | None = None) -> int | None:
    """The smallest whole-yuan cut in ``pid``'s cost at which a list holding it reaches
    ``target`` (see the module docstring), :data:`NO_CUT` when none does, ``None`` when
    the model does not have the affine form needed (or the MIP fails).

    The monthly schedule is left out (a relaxation: the guess can only be low).
    """
    model = without_schedule(model)
    problem = model.problem
    k = problem.index[pid]
    c = int(problem.cost[k])
    if c <= 0:
        return None
    try:
        _, full = model._case_for(None, (pid,), (), None, None)
        _, free = model._case_for(None, (pid,), (), {pid: Decimal(0)}, None)
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
    ncol = full.shape[1]
    # columns: the model's, then y (the cut in fen); rows: the model's, then w·x − w'·y
    a = sp.hstack([full.matrix, sp.csr_matrix(-slope.reshape(-1, 1))], format="csr")
    obj_row = sp.csr_matrix(np.append(w, -w_slope).reshape(1, -1))
    m = MatrixModel(
        objective=np.append(np.zeros(ncol), 1.0),
        matrix=sp.vstack([a, obj_row], format="csr"),
        row_lower=np.append(full.row_lower, target - tol),
        row_upper=np.append(full.row_upper, math.inf),
        col_lower=np.append(full.col_lower, 0.0), col_upper=np.append(full.col_upper, c),
        integer=np.append(full.integer, True), maximize=False)
    raw = run(m, solver, time_limit=time_limit, rel_gap=0.0, abs_gap=INTEGER_ABS_GAP)
    if raw.status == "infeasible":
        return NO_CUT
    if raw.x is None or raw.status not in ("optimal", "feasible"):
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
    model = without_schedule(model)
    try:
        case_lo, f_lo = model._case_for(low, (pid,), (), None, None)
        _, f_hi = model._case_for(high, (pid,), (), None, None)
    except SelectorError:
        return None, False
    same = (f_lo.shape == f_hi.shape and np.array_equal(f_lo.cand, f_hi.cand)
            and abs(f_lo.matrix - f_hi.matrix).sum() == 0
            and np.array_equal(f_lo.objective, f_hi.objective))
    budget_rows = np.array([n == "budget" for n in f_lo.row_names], dtype=bool)
    certified = bool(same and budget_rows.sum() == 1
                     and np.array_equal(f_lo.row_lower[~budget_rows], f_hi.row_lower[~budget_rows])
                     and np.array_equal(f_lo.row_upper[~budget_rows], f_hi.row_upper[~budget_rows]))
    if certify and not certified:
        return None, False
    form = f_lo
    upper = form.row_upper.copy()
    upper[budget_rows] = f_hi.row_upper[budget_rows] if certified else math.inf
    tol = tie_tolerance(form, target)
    ncol = form.shape[1]
    money = np.zeros(ncol)
    money[: form.n_x] = case_lo.cost[form.cand].astype(float)
    m = MatrixModel(
        objective=money,
        matrix=sp.vstack([form.matrix, sp.csr_matrix(form.objective.reshape(1, -1))],
                         format="csr"),
        row_lower=np.append(form.row_lower, target - tol),
        row_upper=np.append(upper, math.inf),
        col_lower=form.col_lower, col_upper=form.col_upper, integer=form.integer,
        maximize=False)
    raw = run(m, solver, time_limit=time_limit, rel_gap=0.0, abs_gap=INTEGER_ABS_GAP)
    if raw.status == "infeasible":
        return NO_CUT, certified
    if raw.status != "optimal" or not math.isfinite(raw.bound):
        return None, False
    # one fen of margin for the solver's feasibility tolerance on money rows
    return max(0, math.ceil(raw.bound - 1e-6) - 1), certified
