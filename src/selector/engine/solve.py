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
:data:`INTEGER_ABS_GAP`) within a share of the time (:data:`TIE_BREAK_MIN_SECONDS`, or
:data:`TIE_BREAK_SHARE` × stage 1, and never past the time limit); if one stops early its
best list is kept (it is feasible and as good in stage 1) and ``Solved.tie_break`` says
"stopped early".

Exactness: HiGHS runs with feasibility tolerances of 1e-9, and every rounded answer
of every stage is re-checked exactly (the caller's ``accept``; the stage rows too); one
that breaks a rule is cut off by a no-good cut on the 0/1 columns and the stage re-solved.
A CBC "infeasible" is confirmed with HiGHS (CBC has pruned feasible models at a budget
edge) and the model solved there when HiGHS finds a list. Statuses are mapped to
:class:`selector.Status`; answers are read with ``np.rint``; a CBC run that stopped on
its time limit is never called optimal (``prob.sol_status`` and CBC's own log decide).
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
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

__all__ = ["Solved", "complete_start", "exact_pool_payments", "feasible", "place_schedule", "run",
           "solve_formulation", "tie_tolerance"]

#: Up to this many candidates the tie-break stages run by default. Above it they are
#: skipped (``tie_break=None``): on 10,000 generated proposals (about 3,800 candidates)
#: the cheapest-optimum stage alone took 1-22 s; pass ``tie_break=True`` to run them.
TIE_BREAK_MAX = 2000

#: Below this many candidates a budget-only model goes through the MILP (with the
#: documented tie-break); from here on, to the core knapsack solver when it is installed.
KNAPSACK_MIN = 5000

#: Up to this many candidates a CBC answer is checked by HiGHS (stage 1; see ``_solve``).
SECOND_OPINION_MAX = 200

#: Up to this many candidates a budget-only model with whole-number weights is first
#: tried by an exact branch and bound in integers (no solver start-up), which falls
#: back to the MILP past its node limit (:mod:`selector.engine._small_knapsack`).
SMALL_KNAPSACK_MAX = 400

#: Stage 1 of a model too large for the tie-break (and a gap above 0) first tries a
#: list proven by the LP relaxation's bound (``_lp_core``): the LP's basic and fractional
#: candidates plus this many more of least reduced cost stay free, every other candidate
#: is fixed at its LP value, and HiGHS searches that core for at most
#: :data:`CORE_MAX_NODES` nodes (a work limit, not a time limit: the same list on every
#: run). Measured on generated calls with every rule family (100,000 proposals, about
#: 37,800 candidates, four seeds): the root of a core of ~520 columns reaches 2.6e-7 to
#: 9e-7 of the LP bound in 0.06-0.3 s, against CBC's 4.9 s (plus 3.5 s of writing and
#: reading its files) and HiGHS over 240 s on the whole model. Where the gap cannot be
#: proven this way (10,000-30,000 proposals: an absolute allowance of 1.5-4.7
#: beneficiaries) the attempt costs 0.2-0.3 s and the whole model is solved as before.
CORE_EXTRA = 64
CORE_MAX_NODES = 5


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
    tie_break: str = "off"


def run(model: MatrixModel, solver: str, *, time_limit: float | None, rel_gap: float,
        abs_gap: float, start: np.ndarray | None = None) -> RawResult:
    """Solve ``model`` once with ``solver`` ("highs" or "cbc")."""
    if time_limit is not None and time_limit <= 0:
        return RawResult("no_solution", None, math.nan, math.nan, "no time left")
    if model.matrix.shape[1] == 0:   # HiGHS calls this "Empty"; the answer is plain
        zero = bool(np.all(model.row_lower <= 0) and np.all(model.row_upper >= 0))
        return (RawResult("optimal", np.empty(0), 0.0, 0.0, "empty model") if zero
                else RawResult("infeasible", None, math.nan, math.nan, "empty model"))
    if solver == "highs":
        h = build_highs(model, time_limit=time_limit, rel_gap=rel_gap, abs_gap=abs_gap)
        if start is not None:
            h.setSolution(_highs_solution(start))
            if _holds(model, start):
                # A list that keeps every row is already the incumbent: HiGHS's sub-MIP
                # searches for one (RINS, RENS, root reduced cost) are then mostly cost.
                # Measured on the example and generated calls of 300-2,000 proposals with
                # every rule family: stage 1 given its optimum 1.2-7x faster (147 -> 21 ms
                # on the example), the tie-break stages 10-50 % faster; without a start
                # these heuristics pay for themselves, so they stay on there.
                for option in START_OFF:
                    h.setOptionValue(option, False)
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
                # seen: CBC 2.10.3 stops without a solution file on some infeasible
                # models; HiGHS answers the same model instead
                fallback = run(model, "highs", time_limit=time_limit, rel_gap=rel_gap,
                               abs_gap=abs_gap, start=start)
                fallback.raw_status = f"CBC failed ({exc}); HiGHS: {fallback.raw_status}"
                return fallback
            raw = read_pulp(prob, variables, log, model.maximize)
        if raw.x is not None and _fractional(raw.x, model.integer):
            # CBC 2.10.3 can end a search with "Primal infeasible" in its final clean-up and
            # write the LP relaxation's values as its "optimal" solution (seen: the example's
            # rules on generate_call(300, seed=2026)). Such an answer proves nothing: HiGHS
            # solves the same model instead.
            fallback = run(model, "highs", time_limit=time_limit, rel_gap=rel_gap,
                           abs_gap=abs_gap, start=start)
            fallback.raw_status = f"CBC returned fractional values; HiGHS: {fallback.raw_status}"
            return fallback
        return raw
    raise SolverError(f"solver must be 'cbc' or 'highs', got {solver!r}")


#: HiGHS heuristics switched off when a start that keeps every row is handed over.
START_OFF = ("mip_heuristic_run_rins", "mip_heuristic_run_rens",
             "mip_heuristic_run_root_reduced_cost")


def _holds(model: MatrixModel, v: np.ndarray) -> bool:
    """Does ``v`` keep every bound, row and integrality of ``model`` (to 1e-9 relative)?"""
    if len(v) != len(model.objective):
        return False
    tol = 1e-9 * np.maximum(1.0, np.abs(v))
    if np.any(v < model.col_lower - tol) or np.any(v > model.col_upper + tol):
        return False
    if _fractional(v, model.integer):
        return False
    ax = model.matrix @ v
    slack = 1e-9 * np.maximum(1.0, np.abs(ax))
    return bool(np.all(ax >= model.row_lower - slack) and np.all(ax <= model.row_upper + slack))


def _fractional(x: np.ndarray, integer: np.ndarray) -> bool:
    """True when an integer column of ``x`` is more than 1e-6 away from an integer."""
    xi = x[integer]
    return bool(xi.size) and bool(np.max(np.abs(xi - np.rint(xi))) > 1e-6)


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


def _read_columns(x: np.ndarray | None, form: Formulation) -> np.ndarray:
    assert x is not None
    cols = x.copy()
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


#: A rounded answer that breaks a rule is cut off and the stage re-solved, at most this
#: many times per stage (each cut removes exactly one 0/1 point).
MAX_REPAIRS = 20

#: Stages 2 and 3 together get at most ``max(TIE_BREAK_MIN_SECONDS,
#: TIE_BREAK_SHARE × stage 1's seconds)`` (and never more than the time limit leaves).
TIE_BREAK_MIN_SECONDS = 5.0
TIE_BREAK_SHARE = 2.0

#: Absolute gap at which an integer objective (beneficiaries, fen, ranks) is proven. Not
#: ``1 − ε``: a bound of 22992.9999999 (22993 up to the solver's tolerance) would then
#: "prove" a list of 22992. With 0.4 the best bound, rounded half up, is exact.
INTEGER_ABS_GAP = 0.4

Accept = Callable[[np.ndarray], bool]


def solve_formulation(form: Formulation, *, cost: np.ndarray, ids: np.ndarray, solver: str,
                      time_limit: float | None, gap: float,
                      tie_break: bool | None = None, accept: Accept | None = None,
                      start: np.ndarray | None = None) -> Solved:
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
    accept:
        Exact check of a rounded answer (all columns). A rounded answer it rejects is cut
        off (a no-good cut on the 0/1 columns) and the stage re-solved, so a solver's
        tolerance can never hand back a list that breaks a rule, and no feasible list is
        lost.
    start:
        A point of the model (every column) that keeps every rule, handed to HiGHS as the
        first incumbent of stage 1 (see :func:`complete_start`); CBC ignores it.

    Returns
    -------
    Solved
        ``status`` is ``INFEASIBLE`` when the rules cannot all hold (the caller diagnoses).
        ``tie_break`` says whether stages 2 and 3 ran to the end.
    """
    solved = _solve(form, cost=cost, ids=ids, solver=solver, time_limit=time_limit, gap=gap,
                    tie_break=tie_break, accept=accept, start=start)
    if solved.status is Status.INFEASIBLE and solver == "cbc" and form.shape[1]:
        # CBC has answered "infeasible" on models where its own heuristic point broke a
        # money row by one fen and its cutoff then pruned everything. Confirm in HiGHS.
        if feasible(form, "highs", time_limit) is True:
            solved = _solve(form, cost=cost, ids=ids, solver="highs", time_limit=time_limit,
                            gap=gap, tie_break=tie_break, accept=accept, start=start)
            solved.raw_status = f"CBC said infeasible; HiGHS: {solved.raw_status}"
    return solved


def _solve(form: Formulation, *, cost: np.ndarray, ids: np.ndarray, solver: str,
           time_limit: float | None, gap: float, tie_break: bool | None,
           accept: Accept | None, start: np.ndarray | None = None) -> Solved:
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    nx = form.n_x
    if form.is_knapsack() and form.integral_objective and 0 < nx <= SMALL_KNAPSACK_MAX:
        small = _small(form, cost, ids)
        if small is not None and (accept is None or accept(small.columns)):
            small.timings["solve"] = time.perf_counter() - t0
            return small
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
                      "empty model", {"stage1": time.perf_counter() - t0}, "not needed")
    abs_gap = INTEGER_ABS_GAP if form.integral_objective else 1e-6
    if tie_break is None:
        tie_break = nx <= TIE_BREAK_MAX
    if tie_break and not form.integral_objective:
        start = None   # its list could not be kept (see below): the hint would only cost
    core = None
    if not tie_break and gap > 0 and nx > TIE_BREAK_MAX:
        core = _lp_core(_as_model(form), form, accept, deadline=_deadline(t0, time_limit),
                        rel_gap=gap, abs_gap=abs_gap)
        timings["lp_core"] = time.perf_counter() - t0
    found: np.ndarray | None = None
    if core is not None and core[0].status == "optimal":
        raw = core[0]   # proven by the LP bound: the whole model is not solved
    else:
        raw, found, model = _stage(_as_model(form), form, solver, accept,
                                   deadline=_deadline(t0, time_limit), rel_gap=gap,
                                   abs_gap=abs_gap, start=start)
    # the core's list when the LP bound proves it, or (FEASIBLE, with the LP bound and its
    # honest gap) when the whole model found nothing in the time left: it keeps every rule
    if core is not None and found is None and raw.status != "infeasible":
        (raw, found), model = core, _as_model(form)
        solver = "lp-core"
        version = f"HiGHS {highs_version()}, " + ("proven by the LP bound"
                                                  if raw.status == "optimal"
                                                  else "bounded by the LP")
    if solver == "cbc" and found is not None and nx <= SECOND_OPINION_MAX:
        # CBC 2.10.3 has proved wrong optima on small money models (a heuristic point over
        # a row by a fraction of a fen sets its cutoff, the true optimum is pruned, and the
        # point is dropped at the end; seen with every cut and tolerance setting tried).
        # HiGHS re-solves stage 1; a better list it finds (checked exactly) wins.
        h_raw, h_found, h_model = _stage(_as_model(form), form, "highs", accept,
                                         deadline=_deadline(t0, time_limit), rel_gap=gap,
                                         abs_gap=abs_gap)
        z_cbc = float(form.objective[:nx] @ found[:nx])
        if h_found is not None and h_raw.status == "optimal" and float(
                form.objective[:nx] @ h_found[:nx]) > z_cbc + tie_tolerance(form, z_cbc):
            raw, found, model = h_raw, h_found, h_model
            solver, version = "highs", highs_version()
            raw.raw_status = (f"CBC stopped at {z_cbc:g} with a wrong proof; HiGHS: "
                              f"{raw.raw_status}")
    timings["stage1"] = time.perf_counter() - t0
    if raw.status == "infeasible":
        return Solved(Status.INFEASIBLE, np.empty(0), np.empty(0), math.nan, math.nan,
                      math.nan, solver, version, raw.raw_status, timings)
    if found is None:
        what = ("no list was found within the time limit" if raw.status == "no_solution"
                else "the solver failed")
        raise SolverError(f"{solver}: {what} ({raw.raw_status})", solver_status=raw.raw_status)
    cols = found
    w = form.objective[:nx]
    z1 = float(w @ cols[:nx])
    bound = raw.bound
    if math.isnan(bound) or (raw.status == "optimal" and bound < z1):
        bound = z1
    if form.integral_objective and math.isfinite(bound):
        bound = math.floor(bound + 0.5)   # see INTEGER_ABS_GAP
    status = Status.OPTIMAL if raw.status == "optimal" else Status.FEASIBLE
    raw_status = raw.raw_status
    how = "off"
    if tie_break and nx:
        share = max(TIE_BREAK_MIN_SECONDS, TIE_BREAK_SHARE * timings["stage1"])
        limit = share if time_limit is None else min(share, time_limit - timings["stage1"])
        exact = status is Status.OPTIMAL and bound == z1   # (start: integral objective)
        cols, how, unique = _tie_break(form, model, cols, z1, cost, ids, solver, accept,
                                       time.perf_counter() + limit, timings, t0,
                                       check_unique=start is not None and exact)
        left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if (start is not None and how == "done" and status is Status.OPTIMAL
                and not (unique and exact) and (left is None or left > 0)):
            # The start may only change the time, never the list. With an exact stage 1
            # (integral objective, bound = value) and a unique three-stage optimum, every
            # solver path ends at this list; otherwise the list may depend on the path
            # (equal sums of id positions are ties): solve again without the start, in
            # the time left. (A search stopped early is path-dependent with or without.)
            return _solve(form, cost=cost, ids=ids, solver=solver, time_limit=left,
                          gap=gap, tie_break=tie_break, accept=accept)
    x = cols[:nx].astype(np.int64)
    objective = float(w @ x)
    gap_value = max(0.0, (bound - objective) / max(1.0, abs(objective))) \
        if math.isfinite(bound) else math.inf
    timings["solve"] = time.perf_counter() - t0
    return Solved(status, cols, x, objective, max(bound, objective), gap_value, solver, version,
                  raw_status, timings, how)


def tie_tolerance(form: Formulation, z: float) -> float:
    """Objective values closer than this are the same optimum (see the module docstring)."""
    return 0.5 if form.integral_objective else max(1e-6, 1e-9 * abs(z))


def _deadline(t0: float, time_limit: float | None) -> float | None:
    return None if time_limit is None else t0 + time_limit


def _stage(model: MatrixModel, form: Formulation, solver: str, accept: Accept | None, *,
           deadline: float | None, rel_gap: float, abs_gap: float,
           start: np.ndarray | None = None) -> tuple[RawResult, np.ndarray | None, MatrixModel]:
    """Run one stage; cut off (and re-solve past) rounded answers that ``accept`` rejects.

    Returns the last raw result, the accepted rounded columns (``None`` when there is no
    accepted answer) and the model with any cuts added (later stages keep them).
    """
    raw = RawResult("no_solution", None, math.nan, math.nan, "not run")
    for _ in range(MAX_REPAIRS + 1):
        left = None if deadline is None else deadline - time.perf_counter()
        raw = run(model, solver, time_limit=left, rel_gap=rel_gap, abs_gap=abs_gap,
                  start=start)
        if raw.status not in ("optimal", "feasible"):
            return raw, None, model
        cols = _read_columns(raw.x, form)
        if accept is None or accept(cols):
            return raw, cols, model
        model = _no_good(model, cols)
        start = None
    raise SolverError(f"{solver}: {MAX_REPAIRS} rounded answers in a row broke a rule "
                      "(numerical trouble)", solver_status="repair limit")


def _lp_core(model: MatrixModel, form: Formulation, accept: Accept | None, *,
             deadline: float | None, rel_gap: float,
             abs_gap: float) -> tuple[RawResult, np.ndarray] | None:
    """A list of ``model`` (a maximisation) found in a core and bounded by the whole LP
    relaxation (see :data:`CORE_EXTRA`): status ``optimal`` when that bound proves it within
    the gap, ``feasible`` when not (the caller then solves the whole model and keeps this
    list only if that finds nothing in the time left); ``None`` when there is no such list.

    The LP relaxation is solved whole; candidates that are nonbasic at a bound there are
    fixed at it, except the :data:`CORE_EXTRA` of least reduced cost; the small MILP left
    (every other column free, fixed terms moved to the row bounds) is searched by HiGHS
    for :data:`CORE_MAX_NODES` nodes. Its answer counts only if it keeps every rule
    (``accept``, on all columns); the proof is the whole model's LP bound, never the
    core's own.
    """
    import highspy

    nx = form.n_x
    left = None if deadline is None else deadline - time.perf_counter()
    if left is not None and left <= 0:
        return None
    h = build_highs(replace(model, integer=np.zeros_like(model.integer)), time_limit=left,
                    rel_gap=0.0, abs_gap=0.0)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None   # infeasible or stopped: the MILP path says what happened
    solution = h.getSolution()
    x = np.asarray(solution.col_value, dtype=np.float64)
    reduced = np.abs(np.asarray(solution.col_dual, dtype=np.float64))
    basic = np.fromiter((s == highspy.HighsBasisStatus.kBasic
                         for s in h.getBasis().col_status), dtype=bool, count=len(x))
    upper = float(h.getInfo().objective_function_value)
    # an integral objective: no list beats floor(U) (with room for the LP's own tolerance)
    bound = (math.floor(upper + 1e-6 + 1e-9 * abs(upper)) if form.integral_objective
             else upper)
    free = np.ones(len(x), dtype=bool)
    free[:nx] = basic[:nx] | (np.abs(x[:nx] - np.rint(x[:nx])) > 1e-9)
    nonbasic = np.flatnonzero(~free[:nx])
    extra = nonbasic[np.argsort(reduced[nonbasic], kind="stable")[:CORE_EXTRA]]
    free[extra] = True
    fixed = np.flatnonzero(~free)
    values = np.rint(x[fixed])
    matrix = model.matrix.tocsc()
    shift = matrix[:, fixed] @ values
    core = MatrixModel(model.objective[free], matrix[:, free].tocsr(),
                       model.row_lower - shift, model.row_upper - shift,
                       model.col_lower[free], model.col_upper[free], model.integer[free],
                       model.maximize)
    allowed = max(abs_gap, rel_gap * max(1.0, abs(bound)))
    left = None if deadline is None else deadline - time.perf_counter()
    if left is not None and left <= 0:
        return None
    hc = build_highs(core, time_limit=left, rel_gap=0.0, abs_gap=allowed)
    hc.setOptionValue("mip_max_nodes", CORE_MAX_NODES)
    hc.run()
    raw = read_highs(hc)
    if raw.x is None:
        return None
    full = np.empty(len(x))
    full[free] = raw.x
    full[fixed] = values
    cols = _read_columns(full, form)
    z = float(model.objective @ cols)
    if accept is not None and not accept(cols):
        return None
    proven = bound - z <= max(abs_gap, rel_gap * max(1.0, abs(z)))
    what = (f"a core of {int(free[:nx].sum())} of {nx} candidates searched by HiGHS "
            f"({raw.raw_status})")
    if not proven:   # kept only as the answer of last resort (see _solve)
        return RawResult("feasible", cols, z, bound,
                         f"stopped with the list of {what}; the LP bound is the proof"), cols
    return RawResult("optimal", cols, z, bound, f"within the gap of the LP bound: {what}"), cols


def _no_good(model: MatrixModel, cols: np.ndarray, first: int | None = None) -> MatrixModel:
    """``model`` with the 0/1 point ``cols`` cut off (every other 0/1 point kept):
    ``Σ_{j: v_j = 0} v_j + Σ_{j: v_j = 1} (1 − v_j) ≥ 1`` over the binary columns (only
    the ``first`` columns when given)."""
    binary = model.integer & (model.col_lower >= 0) & (model.col_upper <= 1)
    if first is not None:
        binary[first:] = False
    on = binary & (cols > 0.5)
    coef = np.where(binary, np.where(on, -1.0, 1.0), 0.0)
    return _with_row(model, coef, 1.0 - float(on.sum()), math.inf, model.objective,
                     model.maximize)


def _tie_break(form: Formulation, model: MatrixModel, cols: np.ndarray, z1: float,
               cost: np.ndarray, ids: np.ndarray, solver: str, accept: Accept | None,
               deadline: float, timings: dict[str, float], t0: float,
               check_unique: bool = False) -> tuple[np.ndarray, str, bool]:
    """Stages 2 and 3; returns the columns, ``"done"`` or ``"stopped early"``, and (with
    ``check_unique``) whether no other list ties with them in all three stages (one more
    feasibility run; ``False`` when not checked or not proven)."""
    nx = form.n_x
    ncol = len(form.objective)
    tol = tie_tolerance(form, z1)
    c = np.zeros(ncol)
    c[:nx] = cost[form.cand].astype(float)
    w = np.zeros(ncol)
    w[:nx] = form.objective[:nx]
    def still_best(v: np.ndarray) -> bool:   # the stage rows, re-checked on the rounded point
        return bool(w @ v >= z1 - tol) and (accept is None or accept(v))

    stage2 = _with_row(model, w, z1 - tol, math.inf, c, maximize=False)
    raw, found, stage2 = _stage(stage2, form, solver, still_best, deadline=deadline,
                                rel_gap=0.0,
                                abs_gap=INTEGER_ABS_GAP, start=cols)
    timings["stage2"] = time.perf_counter() - t0
    if found is None:
        return cols, "stopped early", False
    cols = found
    if raw.status != "optimal":
        return cols, "stopped early", False
    # money is integer fen: "cost ≤ spent + 0.5" is exactly "cost ≤ spent"
    spent = float(np.rint(c @ cols))
    r = np.zeros(ncol)
    r[:nx] = _id_ranks(form, ids)
    def as_cheap(v: np.ndarray) -> bool:
        return bool(c @ v <= spent + 0.5) and still_best(v)

    stage3 = _with_row(stage2, c, -math.inf, spent + 0.5, r, maximize=False)
    raw, found, stage3 = _stage(stage3, form, solver, as_cheap, deadline=deadline,
                                rel_gap=0.0, abs_gap=INTEGER_ABS_GAP, start=cols)
    timings["stage3"] = time.perf_counter() - t0
    if found is None:
        return cols, "stopped early", False
    if raw.status != "optimal":
        return found, "stopped early", False
    if not check_unique:
        return found, "done", False
    # another list with the same value, cost and sum of id positions? (a cut on the
    # candidates' columns only: other 0/1 columns, such as coverage indicators, may take
    # other values for the same list)
    ranks = float(np.rint(r @ found))
    tied = _no_good(_with_row(stage3, r, -math.inf, ranks + 0.5, np.zeros(ncol),
                              maximize=False), found, first=nx)
    left = max(0.0, deadline - time.perf_counter())
    other = run(tied, solver, time_limit=left, rel_gap=1.0, abs_gap=math.inf)
    timings["unique"] = time.perf_counter() - t0
    return found, "done", other.status == "infeasible"


def complete_start(form: Formulation, x: np.ndarray, accept: Accept | None) -> np.ndarray | None:
    """Every column of ``form`` for the 0/1 candidate choice ``x`` (``n_x`` entries): the
    other columns (totals, coverage indicators, payments, start months) from one small
    HiGHS run with ``x`` fixed. ``None`` when ``x`` breaks a rule (the exact ``accept``
    decides) or no completion is found."""
    model = _as_model(form)
    nx = form.n_x
    lower = model.col_lower.copy()
    upper = model.col_upper.copy()
    lower[:nx] = x
    upper[:nx] = x
    if np.any(lower > model.col_upper) or np.any(upper < model.col_lower):
        return None
    fixed = MatrixModel(objective=np.zeros(len(lower)), matrix=model.matrix,
                        row_lower=model.row_lower, row_upper=model.row_upper, col_lower=lower,
                        col_upper=upper, integer=model.integer, maximize=True)
    raw = run(fixed, "highs", time_limit=None, rel_gap=1.0, abs_gap=math.inf)
    if raw.x is None or raw.status not in ("optimal", "feasible"):
        return None
    cols = _read_columns(raw.x, form)
    cols[:nx] = x
    if accept is not None and not accept(cols):
        return None
    return cols


def place_schedule(form: Formulation, head: np.ndarray, solver: str,
                   time_limit: float | None) -> np.ndarray | None:
    """Start-month columns completing ``head``, a point of the model without its schedule.

    ``head`` holds every column before the ``start`` block (the schedule's columns and rows
    come last in :func:`selector.engine.formulate.formulate`). The selection in ``head`` is
    kept as it is; only the start months of its projects are chosen, the earliest first
    (``min Σ month``), under the monthly rows. Returns ``None`` when the selection cannot be
    scheduled (or no plan was found in time).
    """
    block = form.layout["start"]
    if len(head) != block.start or block.stop != form.shape[1]:
        raise ValueError("the start columns must be the model's last block")
    unit = next(i for i, u in enumerate(form.units) if u.key == "schedule")
    rows = np.flatnonzero(form.row_unit == unit)
    a = form.matrix[rows]
    fixed = a[:, : block.start] @ head
    chosen = np.rint(head[: form.n_x])
    upper = chosen[form.start_pairs[:, 0]]
    sub = MatrixModel(objective=form.start_pairs[:, 1].astype(float),
                      matrix=a[:, block].tocsr(), row_lower=form.row_lower[rows] - fixed,
                      row_upper=form.row_upper[rows] - fixed,
                      col_lower=np.zeros(len(upper)), col_upper=upper,
                      integer=np.ones(len(upper), dtype=bool), maximize=False)
    # every project at its earliest start month is the least Σ month there is: when that
    # plan keeps the monthly rows it is the answer, with no solver run
    pairs = form.start_pairs
    first = np.full(form.n_x, np.iinfo(np.int64).max)
    np.minimum.at(first, pairs[:, 0], pairs[:, 1])
    earliest: np.ndarray = ((pairs[:, 1] == first[pairs[:, 0]]) & (upper > 0.5)).astype(
        np.float64)
    if _holds(sub, earliest):
        return earliest
    raw = run(sub, solver, time_limit=time_limit, rel_gap=1e-6, abs_gap=INTEGER_ABS_GAP)
    if raw.x is None or raw.status not in ("optimal", "feasible"):
        return None
    return np.asarray(np.rint(raw.x), dtype=np.float64)


def _id_ranks(form: Formulation, ids: np.ndarray) -> np.ndarray:
    """Rank (from 1) of each candidate's id in ascending text order: stage 3's weights."""
    order = np.argsort(np.array([str(i) for i in ids[form.cand]], dtype=object), kind="stable")
    rank = np.empty(form.n_x)
    rank[order] = np.arange(1, form.n_x + 1)
    return rank


def _small(form: Formulation, cost: np.ndarray, ids: np.ndarray) -> Solved | None:
    from selector.engine._small_knapsack import solve_small_knapsack

    t0 = time.perf_counter()
    w = form.objective[: form.n_x]
    chosen = solve_small_knapsack(cost[form.cand], w, _id_ranks(form, ids),
                                  int(form.row_upper[0]))
    if chosen is None:
        return None
    x = chosen.astype(np.int64)
    objective = float(w @ x)
    return Solved(Status.OPTIMAL, x.astype(float), x, objective, objective, 0.0, "knapsack",
                  "exact branch and bound (selector)", "optimal",
                  {"knapsack": time.perf_counter() - t0}, "done")


def _knapsack(form: Formulation, cost: np.ndarray, time_limit: float | None,
              gap: float) -> Solved | None:
    try:
        from selector.engine._knapsack import solve_knapsack
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
    """Integer fen payments ``y[k, p]`` with ``Σ_p y = cost[k]``, ``Σ_k y ≤ amounts[p]``,
    ``y[k, p] = 0`` where ``allowed[k, p]`` is false.

    Proposals that may draw on the same pools are interchangeable, so the transportation
    problem is solved over their groups (at most one row per pattern of pools, whatever
    the number of proposals): its basic solutions are integral, so a simplex vertex
    rounded with ``np.rint`` is exact; residual fen from floating point are then moved to
    a pool with room. Earlier pools are preferred (cost ``p + 1`` per fen from pool ``p``).
    Each group's pool totals are then laid end to end against its proposals' costs (in
    position order): a proposal pays from the pools its stretch of the line overlaps.
    Returns ``None`` when no payment plan exists.
    """
    nk, npools = allowed.shape
    if nk == 0:
        return np.zeros((0, npools), dtype=np.int64)
    cost = np.asarray(cost, dtype=np.int64)
    patterns, group = np.unique(np.asarray(allowed, dtype=bool), axis=0, return_inverse=True)
    group = group.ravel()
    need = np.zeros(len(patterns), dtype=np.int64)
    np.add.at(need, group, cost)
    totals = _pool_totals(need, patterns, np.asarray(amounts, dtype=np.int64))
    if totals is None:
        return None
    y = np.zeros((nk, npools), dtype=np.int64)
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(len(patterns) + 1))
    for g in range(len(patterns)):
        members = order[bounds[g]:bounds[g + 1]]
        pools = np.flatnonzero(totals[g])
        if not len(pools):
            continue
        ends = np.cumsum(cost[members])
        pool_ends = np.cumsum(totals[g, pools])
        lo = np.maximum((ends - cost[members])[:, None], (pool_ends - totals[g, pools])[None, :])
        hi = np.minimum(ends[:, None], pool_ends[None, :])
        y[np.ix_(members, pools)] = np.maximum(hi - lo, 0)
    return y


def _pool_totals(need: np.ndarray, allowed: np.ndarray,
                 amounts: np.ndarray) -> np.ndarray | None:
    """Integer fen ``t[g, p]`` with ``Σ_p t = need[g]``, ``Σ_g t ≤ amounts[p]``, zero where
    ``allowed`` is false, least ``Σ (p + 1)·t``; ``None`` when none exists."""
    ng, npools = allowed.shape
    if np.any(need[~allowed.any(axis=1)] != 0):
        return None   # a group with money to pay and no pool to pay it from
    g_idx, p_idx = np.nonzero(allowed)
    m = len(g_idx)
    if m == 0:
        return np.zeros((ng, npools), dtype=np.int64)
    a = sp.vstack([sp.csr_matrix((np.ones(m), (g_idx, np.arange(m))), shape=(ng, m)),
                   sp.csr_matrix((np.ones(m), (p_idx, np.arange(m))), shape=(npools, m))],
                  format="csr")
    lp = MatrixModel(objective=(p_idx + 1).astype(float), matrix=a,
                     row_lower=np.concatenate([need.astype(float), np.full(npools, -math.inf)]),
                     row_upper=np.concatenate([need.astype(float), amounts.astype(float)]),
                     col_lower=np.zeros(m), col_upper=np.full(m, math.inf),
                     integer=np.zeros(m, dtype=bool), maximize=False)
    raw = run(lp, "highs", time_limit=None, rel_gap=0.0, abs_gap=0.0)
    if raw.status != "optimal" or raw.x is None:
        return None
    t = np.zeros((ng, npools), dtype=np.int64)
    t[g_idx, p_idx] = np.maximum(np.rint(raw.x).astype(np.int64), 0)
    room = amounts - t.sum(axis=0)
    for g in np.flatnonzero(t.sum(axis=1) != need):
        diff = int(need[g] - t[g].sum())
        for p in np.flatnonzero(allowed[g]):
            move = diff if diff < 0 else min(diff, int(room[p]))
            move = max(move, -int(t[g, p]))
            t[g, p] += move
            room[p] -= move
            diff -= move
            if diff == 0:
                break
    if np.any(t.sum(axis=1) != need) or np.any(room < 0):
        return None
    return t
