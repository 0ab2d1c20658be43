"""The one place that calls a solver.

A solve has up to three lexicographic stages, all on the same constraints:

1. maximise the objective ``w·x``; its best bound is the proof reported;
2. among lists within the tie tolerance of stage 1's value (``w·x ≥ z₁ − 0.5`` when every
   ``w`` is an integer, ``w·x ≥ z₁ − max(1e-6, 1e-9·|z₁|)`` otherwise), minimise the money
   spent (exact fen);
3. among those, at that cost, minimise the sum of the candidates' positions in ascending
   text order of their ids (1 for the smallest id): earlier ids are preferred.

Stages 2 and 3 run by default up to :data:`TIE_BREAK_MAX` candidates (larger models
skip them unless asked: the list is then the solver's own optimum, still the same on
every run with the same solver, which runs single-threaded).

Stages 2 and 3 are solved to proven optimality on their integer objectives (absolute gap
below 1) within whatever is left of the time limit; if one stops early its best list is
kept (it is feasible and as good in stage 1). Statuses are mapped to
:class:`selector.Status`; answers are read with ``np.rint``; a CBC run that stopped on
its time limit is never called optimal (``prob.sol_status`` and CBC's own log decide).
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from selector._errors import SolverError
from selector.engine.backends import (
    MatrixModel,
    RawResult,
    build_highs,
    build_pulp,
    cbc_command,
    cbc_version,
    highs_version,
    read_highs,
    read_pulp,
)
from selector.engine.formulate import Formulation
from selector.result import Status

__all__ = ["Solved", "exact_pool_payments", "feasible", "run", "solve_formulation"]

#: Up to this many candidates the tie-break stages run by default. Above it they are
#: skipped (``tie_break=None``): on 10,000 generated proposals (about 3,800 candidates)
#: the cheapest-optimum stage alone took 1-22 s; pass ``tie_break=True`` to run them.
TIE_BREAK_MAX = 2000

#: Below this many candidates a budget-only model goes through the MILP (with the
#: documented tie-break); from here on, to the core knapsack solver when it is installed.
KNAPSACK_MIN = 5000


@dataclass
class Solved:
    """A solver's answer, interpreted (not yet verified)."""

    status: Status
    columns: np.ndarray
    x: np.ndarray
    objective: float
    bound: float
    gap: float
    solver: str
    solver_version: str
    raw_status: str
    timings: dict[str, float] = field(default_factory=dict)


def run(model: MatrixModel, solver: str, *, time_limit: float | None, rel_gap: float,
        abs_gap: float, start: np.ndarray | None = None) -> RawResult:
    """Solve ``model`` once with ``solver`` ("highs" or "cbc")."""
    if time_limit is not None and time_limit <= 0:
        return RawResult("no_solution", None, math.nan, math.nan, "no time left")
    if solver == "highs":
        h = build_highs(model, time_limit=time_limit, rel_gap=rel_gap, abs_gap=abs_gap)
        if start is not None:
            h.setSolution(_highs_solution(start))
        h.run()
        return read_highs(h)
    if solver == "cbc":
        prob, variables = build_pulp(model)
        with tempfile.TemporaryDirectory(prefix="selector-cbc-") as tmp:
            log = Path(tmp) / "cbc.log"
            cmd = cbc_command(time_limit=time_limit, rel_gap=rel_gap, abs_gap=abs_gap,
                              log_path=log)
            try:
                prob.solve(cmd)
            except Exception as exc:  # pulp raises PulpSolverError on a crash
                raise SolverError(f"CBC failed: {exc}", solver_status="error") from exc
            return read_pulp(prob, variables, log, model.maximize)
    raise SolverError(f"solver must be 'cbc' or 'highs', got {solver!r}")


def _highs_solution(values: np.ndarray) -> object:
    import highspy

    sol = highspy.HighsSolution()
    sol.col_value = np.asarray(values, dtype=np.float64)
    sol.value_valid = True
    return sol


def _as_model(form: Formulation) -> MatrixModel:
    return MatrixModel(objective=form.objective, matrix=form.matrix,
                       row_lower=form.row_lower, row_upper=form.row_upper,
                       col_lower=form.col_lower, col_upper=form.col_upper,
                       integer=form.integer, maximize=True)


def _read_columns(raw: RawResult, form: Formulation) -> np.ndarray:
    assert raw.x is not None
    cols = raw.x.copy()
    cols[form.integer] = np.rint(cols[form.integer])
    return cols


def _with_row(model: MatrixModel, coef: np.ndarray, lo: float, hi: float,
              objective: np.ndarray, maximize: bool) -> MatrixModel:
    row = sp.csr_matrix(coef.reshape(1, -1))
    return MatrixModel(objective=objective, matrix=sp.vstack([model.matrix, row], format="csr"),
                       row_lower=np.append(model.row_lower, lo),
                       row_upper=np.append(model.row_upper, hi),
                       col_lower=model.col_lower, col_upper=model.col_upper,
                       integer=model.integer, maximize=maximize)


def feasible(form: Formulation, solver: str, time_limit: float | None) -> bool | None:
    """Is the model feasible? ``None`` when the solver could not tell in time."""
    model = _as_model(form)
    model.objective = np.zeros_like(form.objective)
    raw = run(model, solver, time_limit=time_limit, rel_gap=1.0, abs_gap=math.inf)
    if raw.status in ("optimal", "feasible"):
        return True
    if raw.status == "infeasible":
        return False
    return None


def solve_formulation(form: Formulation, *, cost: np.ndarray, ids: np.ndarray, solver: str,
                      time_limit: float | None, gap: float,
                      tie_break: bool | None = None) -> Solved:
    """Solve with the lexicographic stages of the module docstring.

    Parameters
    ----------
    cost:
        Cost in fen of every proposal (indexed by position in the proposal set).
    ids:
        Ids of every proposal (for the stable order of stage 3).
    tie_break:
        Run stages 2 and 3; ``None``: when there are at most :data:`TIE_BREAK_MAX`
        candidates.

    Returns
    -------
    Solved
        ``status`` is ``INFEASIBLE`` when the rules cannot all hold (the caller diagnoses).
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    nx = form.n_x
    if form.is_knapsack() and nx >= KNAPSACK_MIN:
        solved = _knapsack(form, cost, time_limit, gap)
        if solved is not None:
            solved.timings["solve"] = time.perf_counter() - t0
            return solved
    version = highs_version() if solver == "highs" else cbc_version()
    if form.shape[1] == 0:   # no candidate at all: the empty list, if the rows allow it
        ok = bool(np.all(form.row_lower <= 0) and np.all(form.row_upper >= 0))
        return Solved(Status.OPTIMAL if ok else Status.INFEASIBLE, np.empty(0),
                      np.empty(0, dtype=np.int64), 0.0, 0.0, 0.0, solver, version,
                      "empty model", {"stage1": time.perf_counter() - t0})
    abs_gap = 1.0 - 1e-6 if form.integral_objective else 1e-6
    model = _as_model(form)
    raw = run(model, solver, time_limit=time_limit, rel_gap=gap, abs_gap=abs_gap)
    timings["stage1"] = time.perf_counter() - t0
    if raw.status == "infeasible":
        return Solved(Status.INFEASIBLE, np.empty(0), np.empty(0), math.nan, math.nan,
                      math.nan, solver, version, raw.raw_status, timings)
    if raw.status not in ("optimal", "feasible"):
        what = ("no list was found within the time limit" if raw.status == "no_solution"
                else "the solver failed")
        raise SolverError(f"{solver}: {what} ({raw.raw_status})", solver_status=raw.raw_status)
    cols = _read_columns(raw, form)
    w = form.objective[:nx]
    z1 = float(w @ cols[:nx])
    bound = raw.bound
    if math.isnan(bound) or (raw.status == "optimal" and bound < z1):
        bound = z1
    if form.integral_objective and math.isfinite(bound):
        bound = math.floor(bound + 1e-6)
    status = Status.OPTIMAL if raw.status == "optimal" else Status.FEASIBLE
    raw_status = raw.raw_status
    if tie_break is None:
        tie_break = nx <= TIE_BREAK_MAX
    if tie_break and nx:
        cols = _tie_break(form, model, cols, z1, cost, ids, solver, time_limit, t0, timings)
    x = cols[:nx].astype(np.int64)
    objective = float(w @ x)
    gap_value = max(0.0, (bound - objective) / max(1.0, abs(objective))) \
        if math.isfinite(bound) else math.inf
    timings["solve"] = time.perf_counter() - t0
    return Solved(status, cols, x, objective, max(bound, objective), gap_value, solver, version,
                  raw_status, timings)


def _tie_break(form: Formulation, model: MatrixModel, cols: np.ndarray, z1: float,
               cost: np.ndarray, ids: np.ndarray, solver: str, time_limit: float | None,
               t0: float, timings: dict[str, float]) -> np.ndarray:
    nx = form.n_x
    ncol = len(form.objective)
    tol = 0.5 if form.integral_objective else max(1e-6, 1e-9 * abs(z1))

    def left() -> float | None:
        return None if time_limit is None else time_limit - (time.perf_counter() - t0)

    c = np.zeros(ncol)
    c[:nx] = cost[form.cand].astype(float)
    w = np.zeros(ncol)
    w[:nx] = form.objective[:nx]
    stage2 = _with_row(model, w, z1 - tol, math.inf, c, maximize=False)
    raw = run(stage2, solver, time_limit=left(), rel_gap=0.0, abs_gap=1.0 - 1e-6, start=cols)
    timings["stage2"] = time.perf_counter() - t0
    if raw.status not in ("optimal", "feasible"):
        return cols
    cols = _read_columns(raw, form)
    spent = float(c @ cols)
    order = np.argsort(np.array([str(i) for i in ids[form.cand]], dtype=object), kind="stable")
    rank = np.empty(nx)
    rank[order] = np.arange(1, nx + 1)
    r = np.zeros(ncol)
    r[:nx] = rank
    stage3 = _with_row(stage2, c, -math.inf, spent + 0.5, r, maximize=False)
    raw = run(stage3, solver, time_limit=left(), rel_gap=0.0, abs_gap=1.0 - 1e-6, start=cols)
    timings["stage3"] = time.perf_counter() - t0
    if raw.status not in ("optimal", "feasible"):
        return cols
    return _read_columns(raw, form)


def _knapsack(form: Formulation, cost: np.ndarray, time_limit: float | None,
              gap: float) -> Solved | None:
    try:
        from selector.engine._knapsack import solve_knapsack  # type: ignore[import-not-found]
    except ImportError:
        return None
    t0 = time.perf_counter()
    c = cost[form.cand].astype(np.int64)
    w = form.objective[: form.n_x]
    capacity = int(form.row_upper[0])
    res = solve_knapsack(c, w, capacity, gap=gap, time_limit=time_limit)
    x = np.asarray(res.x, dtype=bool).astype(np.int64)
    objective = float(w @ x)
    bound = float(res.bound)
    if form.integral_objective and math.isfinite(bound):
        bound = math.floor(bound + 1e-6)
    bound = max(bound, objective)
    g = max(0.0, (bound - objective) / max(1.0, abs(objective)))
    status = Status.OPTIMAL if res.optimal else Status.FEASIBLE
    return Solved(status, x.astype(float), x, objective, bound, g, "knapsack", "core knapsack",
                  "optimal" if res.optimal else "stopped",
                  {"knapsack": time.perf_counter() - t0})


def exact_pool_payments(cost: np.ndarray, allowed: np.ndarray,
                        amounts: np.ndarray) -> np.ndarray | None:
    """Integer fen payments ``y[k, p]`` with ``Σ_p y = cost[k]``, ``Σ_k y ≤ amounts[p]``.

    A transportation problem: its basic solutions are integral, so a simplex vertex
    rounded with ``np.rint`` is exact; residual fen from floating point are then moved to
    a pool with room. Earlier pools are preferred (cost ``p + 1`` per fen from pool ``p``).
    Returns ``None`` when no payment plan exists.
    """
    k_idx, p_idx = np.nonzero(allowed)
    nk, npools = allowed.shape
    if nk == 0:
        return np.zeros((0, npools), dtype=np.int64)
    m = len(k_idx)
    a = sp.vstack([sp.csr_matrix((np.ones(m), (k_idx, np.arange(m))), shape=(nk, m)),
                   sp.csr_matrix((np.ones(m), (p_idx, np.arange(m))), shape=(npools, m))],
                  format="csr")
    lp = MatrixModel(objective=(p_idx + 1).astype(float), matrix=a,
                     row_lower=np.concatenate([cost.astype(float), np.full(npools, -math.inf)]),
                     row_upper=np.concatenate([cost.astype(float), amounts.astype(float)]),
                     col_lower=np.zeros(m), col_upper=np.full(m, math.inf),
                     integer=np.zeros(m, dtype=bool), maximize=False)
    raw = run(lp, "highs", time_limit=None, rel_gap=0.0, abs_gap=0.0)
    if raw.status != "optimal" or raw.x is None:
        return None
    res_x = raw.x
    y = np.zeros((nk, npools), dtype=np.int64)
    y[k_idx, p_idx] = np.rint(res_x).astype(np.int64)
    y = np.maximum(y, 0)
    room = amounts.astype(np.int64) - y.sum(axis=0)
    for k in np.flatnonzero(y.sum(axis=1) != cost):
        diff = int(cost[k] - y[k].sum())
        for p in np.flatnonzero(allowed[k]):
            move = diff if diff < 0 else min(diff, int(room[p]))
            move = max(move, -int(y[k, p]))
            y[k, p] += move
            room[p] -= move
            diff -= move
            if diff == 0:
                break
    if np.any(y.sum(axis=1) != cost) or np.any(room < 0):
        return None
    return y
