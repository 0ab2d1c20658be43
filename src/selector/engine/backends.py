"""Solver back-ends: the one place that runs a solver.

Every solver run of the library happens here — HiGHS (``highspy``: the MILP, the LP
relaxation with its duals, the knapsack core), CBC (the binary PuLP bundles) and OR-Tools
CP-SAT — each as *build the solver's model from a* :class:`MatrixModel`, *run it, read the
answer back* into a :class:`RawResult` whose :class:`Outcome` is our own enum. Which
solver runs when, and what happens when one fails, is decided in
:mod:`selector.engine.solve`.

- HiGHS: the numpy arrays go to ``Highs.passModel`` as one column-wise matrix (no Python
  loop over coefficients). Each row is first multiplied by a power of two that brings its
  largest coefficient into [1, 2) (exact in binary floating point: the model is the same,
  only better scaled), because HiGHS answered "Solve error" — and once proved a wrong
  optimum — on small models with share rows whose coefficients reach 10^9 (money in fen
  times a share's denominator) with feasibility tolerances of 1e-9 (issue #19). The duals
  it reports are scaled back.
- CBC: one ``LpAffineExpression`` per row from the CSR arrays, written to an MPS file by
  PuLP (coefficients unscaled: the file holds the exact whole fen); variables named by
  position. A crash or a fractional "integer" answer is reported as ``Outcome.ERROR``.
- CP-SAT: see :mod:`selector.engine._cpsat` (integer rows, exact); one worker, a fixed
  seed and an optional deterministic work limit, so the same model gives the same answer.
"""

from __future__ import annotations

import math
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["Limits", "LpAnswer", "MatrixModel", "Outcome", "RawResult", "cbc_version",
           "cpsat_version", "highs_version", "new_highs", "run_cbc", "run_cpsat",
           "run_highs", "run_highs_lp", "solve_cpsat"]


class Outcome(StrEnum):
    """What a solver run ended with (a string: ``outcome == "optimal"`` holds)."""

    OPTIMAL = "optimal"            # within the requested gap
    FEASIBLE = "feasible"          # stopped (time or work limit) with a list
    INFEASIBLE = "infeasible"      # proven: no point keeps every row
    NO_SOLUTION = "no_solution"    # stopped without a list
    ERROR = "error"                # the solver failed (error status, crash, fractional answer)


@dataclass
class MatrixModel:
    """A MILP ``max/min c·v  s.t.  row_lower ≤ A·v ≤ row_upper, col bounds, integrality``."""

    objective: np.ndarray
    matrix: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    maximize: bool = True


@dataclass
class RawResult:
    """What a solver said, before any interpretation.

    ``status`` is an :class:`Outcome`; ``bound`` is the best bound in the model's own sense;
    ``raw_status`` the solver's own words.
    """

    status: Outcome
    x: np.ndarray | None
    objective: float
    bound: float
    raw_status: str


@dataclass(frozen=True)
class Limits:
    """How long and how far one run may go.

    ``time_limit`` in seconds (``None``: none); ``rel_gap`` and ``abs_gap`` stop the search
    when the incumbent is that close to the bound; ``max_nodes`` (HiGHS) and ``work``
    (CP-SAT's deterministic time) are work limits: the same answer on every run.
    """

    time_limit: float | None = None
    rel_gap: float = 0.0
    abs_gap: float = 0.0
    max_nodes: int | None = None
    work: float | None = None


@dataclass
class LpAnswer:
    """The LP relaxation (every column continuous) as HiGHS solved it."""

    optimal: bool
    objective: float
    x: np.ndarray = field(default_factory=lambda: np.empty(0))
    row_dual: np.ndarray = field(default_factory=lambda: np.empty(0))
    col_dual: np.ndarray = field(default_factory=lambda: np.empty(0))
    basic: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))
    raw_status: str = ""


def highs_version() -> str:
    """Version of the installed highspy."""
    from importlib.metadata import version

    return version("highspy")


def cpsat_version() -> str:
    """Version of the installed OR-Tools (CP-SAT)."""
    from importlib.metadata import version

    return f"CP-SAT (OR-Tools {version('ortools')})"


_BANNER_SHOWN = False


def new_highs() -> Any:
    """A quiet ``highspy.Highs``.

    HiGHS prints a copyright banner to the process's stdout when the first instance is
    created (before any option can be set); a library must not print, so that first
    construction runs with file descriptor 1 pointed at ``os.devnull``.
    """
    import highspy

    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()  # type: ignore[no-untyped-call]
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    return h


def cbc_version() -> str:
    """Version of the CBC bundled with PuLP (as PuLP reports it)."""
    import pulp

    return f"CBC (PuLP {pulp.__version__})"


#: Primal and integrality feasibility tolerance given to both solvers.
FEASIBILITY_TOLERANCE = 1e-9


def row_scales(matrix: sp.csr_matrix) -> np.ndarray:
    """Per row, the power of two that brings its largest |coefficient| into [1, 2)
    (1 for an empty row). Multiplying by a power of two is exact in binary floating point."""
    a = matrix.tocsr()
    counts = np.diff(a.indptr)
    big = np.zeros(a.shape[0])
    nonempty = counts > 0
    if a.nnz:
        big[nonempty] = np.maximum.reduceat(np.abs(a.data), a.indptr[:-1][nonempty])
    scale = np.ones(a.shape[0])
    ok = big > 0
    scale[ok] = np.ldexp(1.0, -np.floor(np.log2(big[ok])).astype(np.int64))
    return scale


def column_scales(model: MatrixModel) -> np.ndarray:
    """Per continuous column, the power of two that brings its coefficients to the size
    of the other coefficients of its rows (the median over its rows of the ratio of the
    row's largest other coefficient to its own); 1 for integer columns, whose values must
    stay whole. A total ``T = Σ cost·x`` in fen gets about the size of a cost."""
    ncol = len(model.objective)
    scale = np.ones(ncol)
    loose = np.flatnonzero(~np.asarray(model.integer, dtype=bool))
    if not len(loose):
        return scale
    a = model.matrix.tocsr()
    csc = a.tocsc()
    for j in loose:
        ratios = []
        for r, own in zip(csc.indices[csc.indptr[j]:csc.indptr[j + 1]],
                          csc.data[csc.indptr[j]:csc.indptr[j + 1]], strict=True):
            seg = slice(a.indptr[r], a.indptr[r + 1])
            others = np.abs(a.data[seg][a.indices[seg] != j])
            if len(others) and own != 0 and others.max() > 0:   # (stored zeros: no ratio)
                ratios.append(float(others.max()) / abs(float(own)))
        if ratios:
            scale[j] = np.ldexp(1.0, int(np.round(np.log2(np.median(ratios)))))
    return scale


def _scaled(model: MatrixModel, relax: bool = False
            ) -> tuple[MatrixModel, np.ndarray, np.ndarray]:
    """``model`` with continuous columns scaled (``v_j = s_j·v'_j``) and rows scaled, both
    by powers of two (:data:`SCALE_COLUMNS`, :data:`SCALE_ROWS`): the same model, exactly.
    ``relax``: every column continuous (the LP relaxation; the scales are the MILP's).
    Returns it with the row and column scales."""
    col = column_scales(model) if SCALE_COLUMNS else np.ones(len(model.objective))
    if relax:
        model = replace(model, integer=np.zeros(len(model.objective), dtype=bool))
    a = model.matrix.tocsr().copy()
    out = model
    if np.any(col != 1.0):
        a.data = a.data * col[a.indices]
        out = replace(out, matrix=a, objective=model.objective * col,
                      col_lower=model.col_lower / col, col_upper=model.col_upper / col)
    row = row_scales(a) if SCALE_ROWS else np.ones(a.shape[0])
    if np.any(row != 1.0):
        a = a.copy()
        a.data = a.data * np.repeat(row, np.diff(a.indptr))
        out = replace(out, matrix=a, row_lower=model.row_lower * row,
                      row_upper=model.row_upper * row)
    return out, row, col


#: Scale continuous columns (the totals of share rows) by powers of two before HiGHS.
SCALE_COLUMNS = True
#: Scale rows by powers of two before HiGHS.
SCALE_ROWS = True


def build_highs(model: MatrixModel, *, time_limit: float | None, rel_gap: float,
                abs_gap: float) -> Any:
    """A ready ``highspy.Highs`` holding ``model`` (rows not scaled; see :func:`run_highs`)."""
    import highspy

    h = new_highs()
    h.setOptionValue("mip_rel_gap", float(rel_gap))
    h.setOptionValue("mip_abs_gap", float(abs_gap))
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    # Money rows hold coefficients up to ~1e10 fen: a feasibility tolerance of 1e-6 lets a
    # rounded list overshoot the budget by a few fen. Tight tolerances keep answers exact
    # (the caller still re-checks and cuts off any rounded point that breaks a row).
    h.setOptionValue("mip_feasibility_tolerance", FEASIBILITY_TOLERANCE)
    h.setOptionValue("primal_feasibility_tolerance", FEASIBILITY_TOLERANCE)
    # Measured on generated 10k calls with every rule family: HiGHS's presolve turned a
    # 0.4 s solve into 8-40 s (slow root heuristics on the presolved model), so it is off.
    # On the bundled example it would halve the time, but with the tight tolerances above
    # it "proved" 22,992 beneficiaries where 22,993 is reachable (HiGHS 1.16): off always.
    h.setOptionValue("presolve", "off")
    if time_limit is not None:
        h.setOptionValue("time_limit", max(float(time_limit), 1e-3))
    lp = highspy.HighsLp()
    ncol = len(model.objective)
    lp.num_col_ = ncol
    lp.num_row_ = model.matrix.shape[0]
    lp.col_cost_ = np.asarray(model.objective, dtype=np.float64)
    lp.col_lower_ = np.asarray(model.col_lower, dtype=np.float64)
    lp.col_upper_ = np.asarray(model.col_upper, dtype=np.float64)
    lp.row_lower_ = np.asarray(model.row_lower, dtype=np.float64)
    lp.row_upper_ = np.asarray(model.row_upper, dtype=np.float64)
    csc = model.matrix.tocsc()
    csc.sort_indices()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = ncol
    lp.a_matrix_.num_row_ = model.matrix.shape[0]
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(np.float64)
    kinds = [highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger]
    if np.any(model.integer):
        lp.integrality_ = [kinds[int(v)] for v in model.integer]
    lp.sense_ = highspy.ObjSense.kMaximize if model.maximize else highspy.ObjSense.kMinimize
    h.passModel(lp)
    return h


def read_highs(h: Any) -> RawResult:
    """Read status, solution, objective and bound from a run ``Highs``."""
    import highspy

    ms = h.getModelStatus()
    text = h.modelStatusToString(ms)
    info = h.getInfo()
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_sol else None
    obj = float(info.objective_function_value) if has_sol else math.nan
    bound = float(info.mip_dual_bound) if h.getLp().integrality_ else obj
    mst = highspy.HighsModelStatus
    stopped = (mst.kTimeLimit, mst.kIterationLimit, mst.kSolutionLimit, mst.kInterrupt)
    if ms == mst.kOptimal:
        status = Outcome.OPTIMAL
    elif ms == mst.kInfeasible:
        status = Outcome.INFEASIBLE
    elif ms == mst.kUnboundedOrInfeasible:
        status = Outcome.INFEASIBLE if x is None else Outcome.ERROR
    elif x is not None and ms in (*stopped, mst.kObjectiveBound, mst.kObjectiveTarget):
        status = Outcome.FEASIBLE
    elif x is None and ms in stopped:
        status = Outcome.NO_SOLUTION
    else:
        status = Outcome.ERROR
    return RawResult(status=status, x=x, objective=obj, bound=bound, raw_status=text)


def run_highs(model: MatrixModel, limits: Limits, start: np.ndarray | None = None,
              start_is_feasible: bool = False, presolve: bool = False) -> RawResult:
    """Solve ``model`` with HiGHS (rows scaled by powers of two, see the module docstring).

    ``start``: a first incumbent (every column). When ``start_is_feasible``, HiGHS's
    incumbent sub-MIPs (:data:`START_OFF`) are switched off: measured on the example and
    generated calls of 300-2,000 proposals with every rule family, stage 1 given its
    optimum ran 1.2-7x faster (147 -> 21 ms on the example) and the tie-break stages
    10-50 % faster; without a start these heuristics pay for themselves.

    ``presolve``: HiGHS's presolve on (it is off for the rule models, see
    :func:`build_highs`); the knapsack core asks for it.
    """
    scaled, _, col = _scaled(model)
    # an objective in fen (the cheapest-list stage: 1e8-1e11) made HiGHS 1.16 run past its
    # time limit for minutes after a restart ("excessively large costs"); scaled by a power
    # of two to about 1 (exactly), with the absolute gap scaled alike, it took 0.3 s
    big = float(np.max(np.abs(scaled.objective), initial=0.0))
    factor = np.ldexp(1.0, -int(np.floor(np.log2(big)))) if big > _BIG_OBJECTIVE else 1.0
    if factor != 1.0:
        scaled = replace(scaled, objective=scaled.objective * factor)
    h = build_highs(scaled, time_limit=limits.time_limit, rel_gap=limits.rel_gap,
                    abs_gap=limits.abs_gap * factor)
    if presolve:
        h.setOptionValue("presolve", "on")
    if limits.max_nodes is not None:
        h.setOptionValue("mip_max_nodes", int(limits.max_nodes))
    if start is not None:
        h.setSolution(_highs_solution(start / col))
        if start_is_feasible:
            for option in START_OFF:
                h.setOptionValue(option, False)
    h.run()
    raw = read_highs(h)
    if raw.x is not None:
        raw.x = raw.x * col
    raw.objective /= factor
    raw.bound /= factor
    return raw


#: Objectives with coefficients above this are scaled down by a power of two for HiGHS.
_BIG_OBJECTIVE = 2.0**12


#: HiGHS heuristics switched off when a start that keeps every row is handed over.
START_OFF = ("mip_heuristic_run_rins", "mip_heuristic_run_rens",
             "mip_heuristic_run_root_reduced_cost")


def _highs_solution(values: np.ndarray) -> object:
    import highspy

    sol = highspy.HighsSolution()
    sol.col_value = np.asarray(values, dtype=np.float64)
    sol.value_valid = True
    return sol


def run_highs_lp(model: MatrixModel, time_limit: float | None) -> LpAnswer:
    """The LP relaxation of ``model`` by HiGHS (dual simplex, tolerances 1e-9): values,
    row and column duals (in the model's own units) and which columns are basic."""
    import highspy

    scaled, scale, col = _scaled(model, relax=True)
    h = build_highs(scaled, time_limit=time_limit, rel_gap=0.0, abs_gap=0.0)
    h.setOptionValue("dual_feasibility_tolerance", FEASIBILITY_TOLERANCE)
    h.run()
    status = h.getModelStatus()
    text = h.modelStatusToString(status)
    if status != highspy.HighsModelStatus.kOptimal:
        return LpAnswer(False, math.nan, raw_status=text)
    sol = h.getSolution()
    basis = h.getBasis().col_status
    basic = np.fromiter((s == highspy.HighsBasisStatus.kBasic for s in basis), dtype=bool,
                        count=len(model.objective))
    return LpAnswer(True, float(h.getInfo().objective_function_value),
                    np.asarray(sol.col_value, dtype=np.float64) * col,
                    np.asarray(sol.row_dual, dtype=np.float64) * scale,
                    np.asarray(sol.col_dual, dtype=np.float64) / col, basic, text)


def build_pulp(model: MatrixModel) -> tuple[Any, list[Any]]:
    """A PuLP problem holding ``model``: one ``LpAffineExpression`` per row."""
    import pulp

    prob = pulp.LpProblem("selection", pulp.LpMaximize if model.maximize else pulp.LpMinimize)
    variables = []
    for j in range(len(model.objective)):
        lo = model.col_lower[j]
        hi = model.col_upper[j]
        variables.append(prob.add_variable(
            f"v{j}", None if math.isinf(lo) else float(lo), None if math.isinf(hi) else float(hi),
            pulp.LpInteger if model.integer[j] else pulp.LpContinuous))
    nz = np.flatnonzero(model.objective)
    prob.setObjective(pulp.LpAffineExpression(
        [(variables[j], float(model.objective[j])) for j in nz]))
    a = model.matrix.tocsr()
    indptr, indices, data = a.indptr, a.indices, a.data
    for r in range(a.shape[0]):
        seg = slice(indptr[r], indptr[r + 1])
        expr = [(variables[j], float(v)) for j, v in zip(indices[seg], data[seg], strict=True)]
        lo, hi = float(model.row_lower[r]), float(model.row_upper[r])
        if lo == hi:
            prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(expr),
                                                 pulp.LpConstraintEQ, f"r{r}", lo))
            continue
        if not math.isinf(hi):
            prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(expr),
                                                 pulp.LpConstraintLE, f"r{r}", hi))
        if not math.isinf(lo):
            prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(expr),
                                                 pulp.LpConstraintGE, f"r{r}_lo", lo))
    return prob, variables


def cbc_command(*, time_limit: float | None, rel_gap: float, abs_gap: float,
                log_path: Path) -> Any:
    """The CBC command with our options (one thread: same answer every run).

    PuLP 3.3 deprecates ``PULP_CBC_CMD``; ``COIN_CMD`` pointed at the CBC binary that
    PuLP bundles is the same program without the warning (a ``cbc`` on ``PATH`` otherwise).
    """
    import pulp

    bundled = getattr(pulp.apis.coin_api.PULP_CBC_CMD, "pulp_cbc_path", None)
    path = bundled if bundled and os.access(bundled, os.X_OK) else None
    # "preprocess off": CBC 2.10.3's integer preprocessing loses optimal lists on knapsack
    # rows whose right-hand side equals one large coefficient (seen: costs 23453399, 1000001
    # and 15944983 fen, budget 23453399: it "proves" 1 where 2 fit; tests/test_engine_exact).
    # "probing off": CBC 2.10.3's probing cuts proved 6 beneficiaries optimal where 12 are
    # reachable (costs 1000001 fen ×6, 2000001, 11666677; a 70 % share cap per domain;
    # tests/test_engine_exact). Turning it off cost nothing measurable at 1k and 10k.
    limit = None if time_limit is None else max(float(time_limit), 0.01)
    return pulp.COIN_CMD(path=path, msg=False, timeLimit=limit, gapRel=rel_gap,
                         gapAbs=abs_gap, threads=1, logPath=str(log_path),
                         options=["preprocess off", "probing off"])


def run_cbc(model: MatrixModel, limits: Limits) -> RawResult:
    """Solve ``model`` with CBC. A crash (PuLP raises on a missing solution file; seen on
    some infeasible models with CBC 2.10.3) or fractional values written as an integer
    answer (seen: CBC ending with "Primal infeasible" in its final clean-up and writing
    the LP relaxation as "optimal") come back as ``Outcome.ERROR``: they prove nothing."""
    prob, variables = build_pulp(model)
    with tempfile.TemporaryDirectory(prefix="selector-cbc-") as tmp:
        log = Path(tmp) / "cbc.log"
        cmd = cbc_command(time_limit=limits.time_limit, rel_gap=cbc_ratio(limits.rel_gap),
                          abs_gap=limits.abs_gap, log_path=log)
        try:
            prob.solve(cmd)
        except Exception as exc:  # pulp raises PulpSolverError on a crash
            return RawResult(Outcome.ERROR, None, math.nan, math.nan, f"CBC failed ({exc})")
        raw = read_pulp(prob, variables, log, model.maximize,
                        gaps=(limits.rel_gap, limits.abs_gap),
                        integral=integral_objective(model))
    if raw.x is not None and fractional(raw.x, model.integer):
        return RawResult(Outcome.ERROR, None, math.nan, math.nan,
                         f"CBC returned fractional values ({raw.raw_status})")
    return raw


def fractional(x: np.ndarray, integer: np.ndarray) -> bool:
    """True when an integer column of ``x`` is more than 1e-6 away from an integer."""
    xi = x[integer]
    return bool(xi.size) and bool(np.max(np.abs(xi - np.rint(xi))) > 1e-6)


def cbc_ratio(rel_gap: float) -> float:
    """The ratio gap to hand CBC for our relative gap ``rel_gap``. CBC stops when
    ``|bound − objective| < ratio · max(|objective|, |bound|)``; with ``ratio = g/(1+g)``
    that implies ``|bound − objective| < g · |objective|``, the gap as we report it."""
    return rel_gap / (1.0 + rel_gap)


def cbc_bound(obj: float, lp: tuple[float, ...], maximize: bool,
              gaps: tuple[float, float], integral: bool = False) -> float:
    """The best bound of a CBC run that ended "Optimal" without printing one: its
    objective, give or take what the gaps it was run with allow
    (``max(abs_gap, rel_gap·|obj|)``, see :func:`cbc_ratio`), and never looser than the LP
    relaxation ``lp`` (the values CBC printed as its continuous objective, in whichever
    sense: the weaker of them is kept). At gaps of 0 it is the objective itself.
    ``integral``: every point's objective is a whole number, so the bound is rounded to
    one (towards the objective).

    Examples
    --------
    >>> cbc_bound(39336.0, (39793.3,), True, (0.01, 0.4))       # within 1 %: not "gap 0"
    39729.36
    >>> cbc_bound(39336.0, (39400.0,), True, (0.01, 0.4))       # the LP is tighter
    39400.0
    >>> cbc_bound(120.0, (), False, (0.0, 0.4))                 # minimising, proven to 0.4
    119.6
    >>> cbc_bound(120.0, (), False, (0.0, 0.4), integral=True)  # no whole value below 120
    120.0
    """
    rel, absolute = gaps
    allowed = max(absolute, rel * abs(obj))
    if maximize:
        above = [v for v in lp if v >= obj]
        bound = min(obj + allowed, max(above)) if above else obj + allowed
        return float(math.floor(bound + 1e-9)) if integral and math.isfinite(bound) else bound
    below = [v for v in lp if v <= obj]
    bound = max(obj - allowed, min(below)) if below else obj - allowed
    return float(math.ceil(bound - 1e-9)) if integral and math.isfinite(bound) else bound


def integral_objective(model: MatrixModel) -> bool:
    """True when every point's objective is a whole number: whole coefficients, on integer
    columns only."""
    on = model.objective != 0
    w = model.objective[on]
    return bool(np.all(model.integer[on]) and np.all(w == np.rint(w)))


_BOUND = re.compile(r"(?:Lower|Upper) bound:\s*([-+0-9.eE]+)")
_OBJ = re.compile(r"Objective value:\s*([-+0-9.eE]+)")
_CONTINUOUS = re.compile(r"Continuous objective value is\s*([-+0-9.eE]+)")


def read_pulp(prob: Any, variables: list[Any], log_path: Path, maximize: bool,
              gaps: tuple[float, float] = (0.0, 0.0), integral: bool = False) -> RawResult:
    """Read a solved PuLP/CBC problem. ``prob.sol_status`` decides (not ``prob.status``:
    after a time limit PuLP still says "Optimal"); the bound comes from CBC's log, and
    when CBC ended "Optimal" without printing one, from :func:`cbc_bound` with the
    ``(rel_gap, abs_gap)`` it was run with (an answer within a gap is not proven exact;
    ``integral``: see :func:`cbc_bound`)."""
    import pulp

    sol = prob.sol_status
    log = log_path.read_text(errors="replace") if log_path.exists() else ""
    values = [v.varValue for v in variables]
    has = sol in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible) and all(
        v is not None for v in values)
    x = np.array(values, dtype=np.float64) if has else None
    obj = float(pulp.value(prob.objective) or 0.0) if has else math.nan
    stopped = "Stopped on" in log or "stopped on" in log
    bound = math.nan
    m = _BOUND.search(log.split("Result -")[-1]) if "Result -" in log else None
    if m:
        # CBC minimises internally: a maximisation's bound is printed negated
        b = float(m.group(1))
        bound = -b if maximize and _negated(log, obj, b) else b
    if sol == pulp.LpSolutionOptimal and not stopped:
        status = Outcome.OPTIMAL
        if math.isnan(bound):
            lp = _CONTINUOUS.search(log)
            printed = () if lp is None else (float(lp.group(1)), -float(lp.group(1)))
            bound = cbc_bound(obj, printed, maximize, gaps, integral)
    elif has:
        status = Outcome.FEASIBLE
    elif sol == pulp.LpSolutionInfeasible or "infeasible" in log.lower().split("result -")[-1]:
        status = Outcome.INFEASIBLE
    elif sol == pulp.LpSolutionNoSolutionFound:
        status = Outcome.NO_SOLUTION if stopped else Outcome.INFEASIBLE
    else:
        status = Outcome.ERROR
    if status is Outcome.FEASIBLE and math.isnan(bound):
        bound = math.inf if maximize else -math.inf
    raw = f"{pulp.LpStatus.get(prob.status, prob.status)} / " \
          f"{pulp.LpSolution.get(sol, sol)}" + (" (stopped)" if stopped else "")
    return RawResult(status=status, x=x, objective=obj, bound=bound, raw_status=raw)


def _negated(log: str, obj: float, printed: float) -> bool:
    """True when CBC printed the bound in its internal (negated) sense."""
    m = _OBJ.search(log.split("Result -")[-1])
    if not m:
        return False
    printed_obj = float(m.group(1))
    return bool(abs(printed_obj + obj) < abs(printed_obj - obj))


def run_cpsat(model: MatrixModel, limits: Limits, start: np.ndarray | None = None) -> RawResult:
    """Solve ``model`` with CP-SAT (rows held exactly, see :mod:`selector.engine._cpsat`).
    ``Outcome.ERROR`` when the model cannot be held exactly in integers (fractional
    coefficients past 10^-6, unbounded or non-integral columns)."""
    from selector.engine._cpsat import CpsatModel, Unsuitable

    try:
        cp = CpsatModel.of(model)
        cp.set_objective(model.objective, model.maximize)
    except Unsuitable as exc:
        return RawResult(Outcome.ERROR, None, math.nan, math.nan, f"not for CP-SAT: {exc}")
    except ImportError:   # OR-Tools missing: the MILP solvers answer instead
        return RawResult(Outcome.ERROR, None, math.nan, math.nan, "OR-Tools is not installed")
    cp.set_hint(start)
    return solve_cpsat(cp, limits)


#: CP-SAT's random seed: one worker and a fixed seed give the same answer on every run.
CPSAT_SEED = 0


def solve_cpsat(cp: Any, limits: Limits) -> RawResult:
    """Run a :class:`~selector.engine._cpsat.CpsatModel` (objective and hint as set) on
    one worker; objective and bound in the model's own units."""
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = 1
    params.random_seed = CPSAT_SEED
    params.relative_gap_limit = float(limits.rel_gap)
    params.absolute_gap_limit = float(limits.abs_gap)
    if limits.time_limit is not None:
        params.max_time_in_seconds = max(float(limits.time_limit), 1e-3)
    if limits.work is not None:
        params.max_deterministic_time = float(limits.work)
    code = solver.solve(cp.proto_model)
    text = solver.status_name(code)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        x = np.asarray(solver.response_proto.solution, dtype=np.float64)
        scale = float(cp.objective_scale)
        obj = float(solver.objective_value) / scale
        bound = float(solver.best_objective_bound) / scale
        status = Outcome.OPTIMAL if code == cp_model.OPTIMAL else Outcome.FEASIBLE
        return RawResult(status, x, obj, bound, text)
    if code == cp_model.INFEASIBLE:
        return RawResult(Outcome.INFEASIBLE, None, math.nan, math.nan, text)
    if code == cp_model.UNKNOWN:
        return RawResult(Outcome.NO_SOLUTION, None, math.nan, math.nan, text)
    return RawResult(Outcome.ERROR, None, math.nan, math.nan, text)
