"""Solver back-ends: the matrix form handed to HiGHS (highspy) or to CBC (through PuLP).

This module builds solver objects and reads answers back; it never solves (that is
:mod:`selector.engine.solve`, the only caller of a solver's ``solve``/``run``).

- HiGHS: the numpy arrays go to ``Highs.passModel`` as one column-wise matrix (no Python
  loop over coefficients).
- CBC: one ``LpAffineExpression`` per row from the CSR arrays; variables are created with
  ``LpProblem.add_variable`` (no deprecation warning in PuLP 3.3) and named by position.
"""

from __future__ import annotations

import math
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["MatrixModel", "RawResult", "cbc_version", "highs_version", "new_highs"]


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

    ``status`` is one of ``optimal`` (within the requested gap), ``feasible`` (stopped with
    an incumbent), ``infeasible``, ``no_solution`` (stopped without an incumbent) or
    ``error``. ``bound`` is the best bound in the model's own sense.
    """

    status: str
    x: np.ndarray | None
    objective: float
    bound: float
    raw_status: str


def highs_version() -> str:
    """Version of the installed highspy."""
    from importlib.metadata import version

    return version("highspy")


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

def build_highs(model: MatrixModel, *, time_limit: float | None, rel_gap: float,
                abs_gap: float) -> Any:
    """A ready ``highspy.Highs`` holding ``model`` (not yet run)."""
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
        h.setOptionValue("time_limit", float(time_limit))
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
    if ms == mst.kOptimal:
        status = "optimal"
    elif ms in (mst.kInfeasible,):
        status = "infeasible"
    elif ms == mst.kUnboundedOrInfeasible:
        status = "infeasible" if x is None else "error"
    elif x is not None and ms in (mst.kTimeLimit, mst.kIterationLimit, mst.kSolutionLimit,
                                  mst.kInterrupt, mst.kObjectiveBound, mst.kObjectiveTarget):
        status = "feasible"
    elif x is None and ms in (mst.kTimeLimit, mst.kIterationLimit, mst.kSolutionLimit,
                              mst.kInterrupt):
        status = "no_solution"
    else:
        status = "error"
    return RawResult(status=status, x=x, objective=obj, bound=bound, raw_status=text)


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
    return pulp.COIN_CMD(path=path, msg=False, timeLimit=time_limit, gapRel=rel_gap,
                         gapAbs=abs_gap, threads=1, logPath=str(log_path),
                         options=["preprocess off", "probing off"])


_BOUND = re.compile(r"(?:Lower|Upper) bound:\s*([-+0-9.eE]+)")
_OBJ = re.compile(r"Objective value:\s*([-+0-9.eE]+)")


def read_pulp(prob: Any, variables: list[Any], log_path: Path, maximize: bool) -> RawResult:
    """Read a solved PuLP/CBC problem. ``prob.sol_status`` decides (not ``prob.status``:
    after a time limit PuLP still says "Optimal"); the bound comes from CBC's log."""
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
        status = "optimal"
        if math.isnan(bound):
            bound = obj
    elif has:
        status = "feasible"
    elif sol == pulp.LpSolutionInfeasible or "infeasible" in log.lower().split("result -")[-1]:
        status = "infeasible"
    elif sol == pulp.LpSolutionNoSolutionFound:
        status = "no_solution" if stopped else "infeasible"
    else:
        status = "error"
    if status == "feasible" and math.isnan(bound):
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
