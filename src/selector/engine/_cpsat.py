"""A :class:`~selector.engine.backends.MatrixModel` held exactly in OR-Tools CP-SAT.

CP-SAT works in integers only, and exactly: a list it calls feasible keeps every row to
the fen, and a bound it proves is a proof — none of the floating-point tolerances that made
CBC and HiGHS lose optimal lists at budget edges (issue #19). A model is held exactly when

- each row becomes whole numbers when multiplied by the least power of ten up to
  :data:`MAX_SCALE` (money rows in fen and share rows ``den·part − num·total`` already
  are; a share of beneficiaries with one decimal needs 10), its bounds then rounded inward
  (the row's left-hand side is a whole number);
- every integer column has finite bounds, and every continuous column is *implied
  integer*: it is the only continuous column of an equality row, with coefficient ±1 there
  (the totals ``T = Σ m·x`` of the share rows), so its bounds follow from that row;
- no row, and not the objective, can overflow 2^62 over the columns' bounds.

Otherwise :class:`Unsuitable` is raised and the engine uses a MILP solver. The model is
built through CP-SAT's protocol buffer directly (one call per row, no Python expression
objects); :func:`selector.engine.backends.solve_cpsat` runs it.

Examples
--------
>>> import scipy.sparse as sp
>>> from selector.engine.backends import MatrixModel
>>> m = MatrixModel(np.array([3.0, 2.0]), sp.csr_matrix(np.array([[0.3, 0.2]])),
...                 np.array([-np.inf]), np.array([0.45]), np.zeros(2), np.ones(2),
...                 np.ones(2, dtype=bool))
>>> cp = CpsatModel.of(m)
>>> cp.row_scale.tolist(), cp.bounds
([10], [(None, 4)])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from selector.engine.backends import MatrixModel

__all__ = ["MAX_SCALE", "CpsatModel", "Unsuitable", "near_whole", "whole", "whole_slack"]

#: Rows and objectives are multiplied by powers of ten up to this to become whole numbers.
MAX_SCALE = 10**6
#: No linear expression may reach this in absolute value over the columns' bounds.
_LIMIT = 2.0**62


class Unsuitable(ValueError):
    """The model cannot be held exactly in CP-SAT's integers (the reason in words)."""


def whole_slack(v: np.ndarray | float) -> np.ndarray | float:
    """How far a float may lie from the whole number it stands for: 1e-9, plus four units
    in its last place (a product or sum of a few exact decimals). Never relative alone: at
    1.1e9 fen a relative 1e-9 is more than one fen, and a bound of 1,101,615,939 fen then
    rounded "inward" to 1,101,615,940 (a CP-SAT list one fen over the budget, cut off and
    found again until the repair limit; the example's frontier at that budget)."""
    if isinstance(v, np.ndarray):
        out: np.ndarray = 1e-9 + 4.0 * np.spacing(np.abs(v))
        return out
    return 1e-9 + 4.0 * math.ulp(v)


def near_whole(v: np.ndarray) -> np.ndarray:
    """Which values are whole numbers up to :func:`whole_slack`."""
    ok: np.ndarray = np.abs(v - np.rint(v)) <= whole_slack(np.asarray(v, dtype=np.float64))
    return ok


def _whole_at(values: np.ndarray, scale: int) -> np.ndarray:
    return near_whole(values * scale)


def whole(values: np.ndarray) -> tuple[np.ndarray, int]:
    """``(values × p as int64, p)`` for the least power of ten ``p`` ≤ :data:`MAX_SCALE`
    that makes every value whole; :class:`Unsuitable` when none does.

    >>> whole(np.array([0.5, 2.0]))
    (array([ 5, 20]), 10)
    """
    if np.issubdtype(np.asarray(values).dtype, np.integer):
        exact = np.asarray(values, dtype=np.int64)   # already whole: no float round trip
        if len(exact) and int(np.abs(exact).max()) >= _LIMIT:
            raise Unsuitable("a coefficient too large for 64-bit integers")
        return exact, 1
    values = np.asarray(values, dtype=np.float64)
    scale = 1
    while not np.all(_whole_at(values, scale)):
        scale *= 10
        if scale > MAX_SCALE:
            raise Unsuitable("coefficients that no power of ten up to 10^6 makes whole")
    out = np.rint(values * scale)
    if np.any(np.abs(out) >= _LIMIT):
        raise Unsuitable("a coefficient too large for 64-bit integers")
    return out.astype(np.int64), scale


def _row_scales(a: sp.csr_matrix) -> np.ndarray:
    """The least power of ten (≤ MAX_SCALE) per row that makes its coefficients whole."""
    scale = np.zeros(a.shape[0], dtype=np.int64)
    starts = a.indptr[:-1]
    nonempty = np.diff(a.indptr) > 0
    scale[~nonempty] = 1
    p = 1
    while p <= MAX_SCALE and np.any(scale == 0):
        ok = np.ones(a.shape[0], dtype=bool)
        if a.nnz:
            bad = ~_whole_at(a.data, p)
            ok[nonempty] = ~np.logical_or.reduceat(bad, starts[nonempty])
        scale[(scale == 0) & ok] = p
        p *= 10
    if np.any(scale == 0):
        raise Unsuitable("a row with coefficients that no power of ten up to 10^6 makes whole")
    return scale


@dataclass
class CpsatModel:
    """The rows and columns of a MatrixModel in CP-SAT, objective set separately.

    Attributes
    ----------
    proto_model:
        The ``cp_model.CpModel`` (rows and domains; objective and hint as last set).
    lower, upper:
        Integer domain of every column.
    row_scale:
        The power of ten each row was multiplied by.
    bounds:
        Each row's bounds in its integer scale, rounded inward (``None``: no bound).
    objective_scale:
        The power of ten the objective was multiplied by (see :meth:`set_objective`).
    maximize:
        The sense of the objective last set.
    """

    proto_model: Any
    lower: np.ndarray
    upper: np.ndarray
    row_scale: np.ndarray
    bounds: list[tuple[int | None, int | None]] = field(default_factory=list)
    objective_scale: int = 1
    maximize: bool = True

    @classmethod
    def of(cls, model: MatrixModel) -> CpsatModel:
        """Hold ``model``'s rows and columns exactly; :class:`Unsuitable` when it cannot."""
        from ortools.sat.python import cp_model

        a = model.matrix.tocsr()
        a.sum_duplicates()
        row_scale = _row_scales(a)
        data = np.rint(a.data * np.repeat(row_scale, np.diff(a.indptr))).astype(np.int64)
        bounds = [(_inward(model.row_lower[r], int(row_scale[r]), up=True),
                   _inward(model.row_upper[r], int(row_scale[r]), up=False))
                  for r in range(a.shape[0])]
        lower, upper = _domains(model, a, data, bounds)
        reach = np.maximum(np.abs(lower), np.abs(upper)).astype(np.float64)
        rows = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
        sums = np.bincount(rows, weights=np.abs(data) * reach[a.indices], minlength=a.shape[0])
        if np.any(sums >= _LIMIT):
            raise Unsuitable("a row could overflow 64-bit integers")
        cp = cp_model.CpModel()
        proto = cp.proto
        for lo, hi in zip(lower.tolist(), upper.tolist(), strict=True):
            proto.variables.add().domain.extend([lo, hi])
        out = cls(cp, lower, upper, row_scale, bounds)
        for r in range(a.shape[0]):
            lo_r, hi_r = bounds[r]
            if lo_r is None and hi_r is None:
                continue
            seg = slice(a.indptr[r], a.indptr[r + 1])
            out._add(a.indices[seg], data[seg], lo_r, hi_r)
        return out

    def _add(self, cols: np.ndarray, coefs: np.ndarray, lo: int | None, hi: int | None) -> None:
        ct = self.proto_model.proto.constraints.add()
        ct.linear.vars.extend(cols.tolist())
        ct.linear.coeffs.extend(coefs.tolist())
        ct.linear.domain.extend([-(2**63 - 1) if lo is None else lo,
                                 2**63 - 1 if hi is None else hi])

    def add_row(self, coefs: np.ndarray, lo: float, hi: float) -> None:
        """Add ``lo ≤ coefs·v ≤ hi`` (``coefs`` made whole by a power of ten; bounds
        rounded inward, as the left-hand side is then a whole number)."""
        nz = np.flatnonzero(coefs)
        ints, scale = whole(coefs[nz])
        span = float(np.sum(np.abs(ints) * np.maximum(np.abs(self.lower[nz]),
                                                       np.abs(self.upper[nz]))))
        if span >= _LIMIT:
            raise Unsuitable("a row could overflow 64-bit integers")
        self._add(nz, ints, _inward(lo, scale, up=True), _inward(hi, scale, up=False))

    def set_objective(self, coefs: np.ndarray, maximize: bool) -> None:
        """Optimise ``coefs·v`` (made whole by a power of ten, recorded in
        :attr:`objective_scale`); replaces any objective set before."""
        nz = np.flatnonzero(coefs)
        ints, scale = whole(coefs[nz]) if len(nz) else (np.zeros(0, dtype=np.int64), 1)
        span = float(np.sum(np.abs(ints) * np.maximum(np.abs(self.lower[nz]),
                                                       np.abs(self.upper[nz]))))
        if span >= _LIMIT:
            raise Unsuitable("the objective could overflow 64-bit integers")
        proto = self.proto_model.proto
        proto.clear_objective()
        sign = -1 if maximize else 1
        proto.objective.vars.extend(nz.tolist())
        proto.objective.coeffs.extend((sign * ints).tolist())
        proto.objective.scaling_factor = float(sign)
        self.objective_scale = scale
        self.maximize = maximize

    def set_hint(self, values: np.ndarray | None) -> None:
        """A first point for the search (every column), or none."""
        proto = self.proto_model.proto
        proto.clear_solution_hint()
        if values is None:
            return
        v = np.clip(np.rint(values), self.lower, self.upper).astype(np.int64)
        proto.solution_hint.vars.extend(range(len(v)))
        proto.solution_hint.values.extend(v.tolist())


def _inward(value: float, scale: int, *, up: bool) -> int | None:
    if not math.isfinite(value):
        return None
    v = value * scale
    slack = float(whole_slack(v))
    out = math.ceil(v - slack) if up else math.floor(v + slack)
    if abs(out) >= _LIMIT:
        raise Unsuitable("a bound too large for 64-bit integers")
    return out


def _domains(model: MatrixModel, a: sp.csr_matrix, data: np.ndarray,
             bounds: list[tuple[int | None, int | None]]) -> tuple[np.ndarray, np.ndarray]:
    """Integer domains of the columns; continuous columns must be implied integer."""
    ncol = len(model.objective)
    lower = np.full(ncol, -_LIMIT)
    upper = np.full(ncol, _LIMIT)
    integer = np.asarray(model.integer, dtype=bool)
    lo, hi = model.col_lower, model.col_upper
    if np.any(integer & ~(np.isfinite(lo) & np.isfinite(hi))):
        raise Unsuitable("an integer column without finite bounds")
    lower[integer] = np.ceil(lo[integer] - 1e-9)
    upper[integer] = np.floor(hi[integer] + 1e-9)
    continuous = np.flatnonzero(~integer)
    if len(continuous):
        csc = a.tocsc()
        single = (model.row_lower == model.row_upper) & (
            np.diff(a[:, continuous].tocsr().indptr) == 1)   # equalities, one continuous
        for j in continuous:
            rows = [int(r) for r in csc.indices[csc.indptr[j]:csc.indptr[j + 1]] if single[r]]
            implied = next((d for r in rows if (d := _implied(
                (a, data), (r, int(j)), (lower, upper), bounds[r][0]))), None)
            if implied is None:
                raise Unsuitable("a continuous column that is not a whole-number total")
            own_lo = math.ceil(lo[j] - 1e-9) if math.isfinite(lo[j]) else implied[0]
            own_hi = math.floor(hi[j] + 1e-9) if math.isfinite(hi[j]) else implied[1]
            lower[j], upper[j] = max(implied[0], own_lo), min(implied[1], own_hi)
    if np.any(lower > upper):
        raise Unsuitable("an empty domain (the rules cannot hold)")
    if np.any((np.abs(lower) >= _LIMIT) | (np.abs(upper) >= _LIMIT)):
        raise Unsuitable("a column without finite bounds")
    return lower.astype(np.int64), upper.astype(np.int64)


def _implied(rows: tuple[sp.csr_matrix, np.ndarray], where: tuple[int, int],
             domains: tuple[np.ndarray, np.ndarray], rhs: int | None) -> tuple[int, int] | None:
    """The range row ``r`` (an equality, ``±v_j + Σ others = rhs``) gives column ``j``
    from the other columns' domains; ``None`` when ``j``'s coefficient is not ±1.
    ``rows``: the matrix and its whole-number coefficients; ``where``: ``(r, j)``."""
    a, data = rows
    r, j = where
    seg = slice(a.indptr[r], a.indptr[r + 1])
    cols, coefs = a.indices[seg], data[seg]
    own = coefs[cols == j]
    if len(own) != 1 or abs(int(own[0])) != 1 or rhs is None:
        return None
    lower, upper = domains
    others = cols != j
    c, k = coefs[others], cols[others]
    if float(np.sum(np.abs(c) * np.maximum(np.abs(lower[k]), np.abs(upper[k])))) >= _LIMIT:
        raise Unsuitable("a row could overflow 64-bit integers")
    lk, uk = lower[k].astype(np.int64), upper[k].astype(np.int64)
    low = int(np.where(c > 0, c * lk, c * uk).sum())    # exact in int64
    high = int(np.where(c > 0, c * uk, c * lk).sum())
    # own·v_j = rhs − Σ others  →  v_j in [rhs − high, rhs − low] (own = 1)
    return (rhs - high, rhs - low) if own[0] > 0 else (low - rhs, high - rhs)
