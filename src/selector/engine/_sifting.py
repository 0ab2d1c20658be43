"""The LP relaxation of a wide model by sifting: HiGHS sees a few thousand columns at a time.

A selection model has few rows and many columns (1,111 × 37,781 at 100,000 proposals,
about ten times both at 1,000,000), and several of its rows hold every candidate (the
budget, the pools, the totals of the share rows, the counts). Dual simplex then pays for
those dense rows at every iteration: at 100,000 proposals 485 iterations took 0.9 s, and
at 1,000,000 the LP was most of a minute. Yet at the optimum nearly every column sits at
a bound and only a few hundred are basic.

Sifting (column generation over the bounded columns):

1. Guess each column's side: a multiplier ``λ`` for the widest money row from a greedy
   fill in falling ``w/a`` order gives reduced costs ``w_j − λ a_j``; the
   :func:`working_size` columns of least ``|w_j − λ a_j|`` (and every column that is not
   a 0/1 candidate) form the *working set*; every other column is fixed at the bound its
   sign favours (its contribution moved to the row bounds).
2. Solve the LP over the working set; from its row duals ``y`` price every column,
   ``d = w − Aᵀy`` (one sparse product). A fixed column whose ``d`` says it should move
   off its bound joins the working set; repeat.
3. When no fixed column should move, the working LP's solution with the fixed columns is
   optimal for the whole LP (primal feasible, and every column's reduced cost has the
   sign its bound needs). When a working LP is infeasible (the guess fixed too many at
   1), every column fixed away from its lower bound joins; failing that, the whole LP is
   solved directly.

The duals are used for bounds only through :func:`selector.engine.solve._lagrangian`,
which is a valid bound for *any* multipliers: sifting can never make a proof wrong, only
weaker if it stopped early.
"""

from __future__ import annotations

import time

import numpy as np

from selector.engine.backends import LpAnswer, MatrixModel, run_highs_lp

__all__ = ["MAX_ROUNDS", "sifted_lp", "working_size"]

#: Pricing rounds before giving up and solving the whole LP.
MAX_ROUNDS = 30
#: A fixed column joins when its reduced cost is wrong by more than this.
_TOLERANCE = 1e-9
#: Rows with at most this many columns are *narrow* (see :func:`_guess`).
_NARROW = 16
#: The scaled-down copy keeps at least every this-many-th candidate.
_MAX_STEP = 16


def working_size(nrows: int) -> int:
    """Columns in the first working set, for ``nrows`` rows that are not narrow: enough
    for each one's basic column and more."""
    return max(2000, 4 * nrows)


def sifted_lp(model: MatrixModel, candidates: int, time_limit: float | None) -> LpAnswer:
    """The LP relaxation of ``model`` (a maximisation whose first ``candidates`` columns
    are 0/1 choices), by sifting when that pays (see the module docstring)."""
    start = time.perf_counter()
    ncol = len(model.objective)
    guess = _guess(model, candidates, time_limit)
    if guess is None:
        return run_highs_lp(model, time_limit)
    work, values = guess
    lower, upper = model.col_lower, model.col_upper
    csc = model.matrix.tocsc()
    widened = False
    for _ in range(MAX_ROUNDS):
        left = None if time_limit is None else time_limit - (time.perf_counter() - start)
        if left is not None and left <= 0:
            break
        fixed = ~work
        shift = csc[:, fixed] @ values[fixed]
        sub = MatrixModel(model.objective[work], csc[:, work].tocsr(),
                          model.row_lower - shift, model.row_upper - shift,
                          lower[work], upper[work], model.integer[work], model.maximize)
        answer = run_highs_lp(sub, left)
        if not answer.optimal:
            if widened:
                break
            work = work | (values != lower)    # nothing fixed above its lower bound
            work, values = _repair(model, work, np.where(work, 0.0, values), model.objective)
            widened = True
            continue
        d = model.objective - model.matrix.T @ answer.row_dual
        scale = _TOLERANCE * np.maximum(1.0, np.abs(model.objective))
        wrong = fixed & (((values <= lower) & (d > scale)) | ((values >= upper) & (d < -scale)))
        if not wrong.any():
            x = values.copy()
            x[work] = answer.x
            basic = np.zeros(ncol, dtype=bool)
            basic[work] = answer.basic
            objective = float(model.objective @ x)
            return LpAnswer(True, objective, x, answer.row_dual, d, basic,
                            f"{answer.raw_status} (sifting: {int(work.sum())} of {ncol} "
                            "columns)")
        # the working set at most doubles a round: the most wrongly priced join first
        room = max(int(work.sum()), working_size(0))
        misfit = np.where(wrong, np.abs(d), 0.0)
        if int(wrong.sum()) > room:
            wrong = np.zeros(ncol, dtype=bool)
            wrong[np.argsort(-misfit, kind="stable")[:room]] = True
        work = work | wrong
    left = None if time_limit is None else time_limit - (time.perf_counter() - start)
    return run_highs_lp(model, left)


def _guess(model: MatrixModel, candidates: int,
           time_limit: float | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """The first working set and the bounds the other columns are fixed at; ``None`` when
    the model is too narrow for sifting to pay (or the guess fails).

    The guess comes from the LP of a *scaled-down copy* of the call: every ``m``-th
    candidate, with the upper bounds of the rows that are not narrow (budget, pools,
    resources, counts, quotas, totals) multiplied by ``1/m`` and the lower bounds of the
    inequalities dropped. Its row
    duals price every candidate; the :func:`working_size` of least ``|reduced cost|``
    form the working set (with every column that is not a candidate), the others are
    fixed at the bound their sign favours."""
    ncol = len(model.objective)
    a = model.matrix.tocsr()
    size = working_size(int(np.sum(np.diff(a.indptr) > _NARROW)))
    if candidates <= 4 * size:
        return None
    step = max(2, min(candidates // (2 * size), _MAX_STEP))
    keep = np.zeros(ncol, dtype=bool)
    keep[:candidates:step] = True
    keep[candidates:] = True
    wide = np.diff(a[:, :candidates].tocsr().indptr) > _NARROW
    factor = np.where(wide, 1.0 / step, 1.0)
    with np.errstate(invalid="ignore"):
        hi = np.where(np.isfinite(model.row_upper), model.row_upper * factor, model.row_upper)
    # lower bounds (coverage, minimum counts) are dropped unless the row is an equality:
    # a sample may miss a whole domain or district; sifting prices them afterwards
    lo = np.where(model.row_lower == model.row_upper, hi, -np.inf)
    sample = MatrixModel(model.objective[keep], a[:, keep].tocsr(), lo, hi,
                         model.col_lower[keep], model.col_upper[keep], model.integer[keep],
                         model.maximize)
    answer = run_highs_lp(sample, time_limit)
    if not answer.optimal:
        return None
    d = model.objective - model.matrix.T @ answer.row_dual
    work = np.zeros(ncol, dtype=bool)
    work[candidates:] = True
    work[np.argsort(np.abs(d[:candidates]), kind="stable")[:size]] = True
    values = np.where(d > 0, model.col_upper, model.col_lower)
    values = np.where(work | ~np.isfinite(values), 0.0, values)
    return _repair(model, work, values, d)


def _repair(model: MatrixModel, work: np.ndarray, values: np.ndarray,
            d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Let the working set reach every row: a row that its fixed columns and the most its
    working columns can add cannot satisfy (a pair both ends of which the sample could
    not price, a minimum count or coverage the fixed zeros starve) takes its fixed
    columns into the working set, best priced first, :func:`working_size` at most."""
    a = model.matrix.tocsr()
    for _ in range(3):
        fixed_part = a @ np.where(work, 0.0, values)
        lo_w = np.where(work, model.col_lower, 0.0)
        hi_w = np.where(work, model.col_upper, 0.0)
        pos = a.multiply(a > 0).tocsr()
        neg = a.multiply(a < 0).tocsr()
        with np.errstate(invalid="ignore"):
            most = fixed_part + pos @ np.nan_to_num(hi_w, posinf=1e30) \
                + neg @ np.nan_to_num(lo_w, neginf=-1e30)
            least = fixed_part + pos @ np.nan_to_num(lo_w, neginf=-1e30) \
                + neg @ np.nan_to_num(hi_w, posinf=1e30)
        broken = np.flatnonzero((most < model.row_lower - 1e-9)
                                | (least > model.row_upper + 1e-9))
        if not len(broken):
            break
        limit = working_size(0)
        for r in broken:
            cols = a.indices[a.indptr[r]:a.indptr[r + 1]]
            cols = cols[~work[cols]]
            work[cols[np.argsort(-d[cols], kind="stable")[:limit]]] = True
        values = np.where(work, 0.0, values)
    return work, values
