"""Exact budget-only selection: the 0/1 knapsack at 10^6 items.

Decision variables:  x_i ∈ {0, 1}                      fund item i
Objective:           max Σ_i b_i · x_i                  (benefit, float)
Constraints:
    Σ_i c_i · x_i ≤ C                                   (capacity, exact int64 minor units)

Method (a core algorithm, all in numpy except the small core):

1. Items with zero cost and positive benefit are always taken; items with no positive
   benefit or a cost above the capacity are never taken.
2. Sort the rest by ratio b/c (Dantzig): the break item s gives the LP bound ``U`` and the
   Lagrange multiplier ``λ = b_s / c_s``. Each item's reduced cost is ``d_i = b_i − λ c_i``.
   For every 0/1 solution ``x`` that respects the budget,
   ``b·x ≤ U − Σ_{i flipped} |d_i|`` where "flipped" means x_i differs from the LP side of
   i (1 before the break item, 0 after it).
3. An incumbent from a greedy fill (and the best single item) gives a lower bound ``L``.
   Every item with ``U − |d_i| ≤ L`` cannot appear flipped in a better solution: it is
   fixed to its LP side (reduced-cost fixing). The items left, the *core*, are those with
   the smallest ``|d_i|``.
4. The core problem (core items free, every other item at its LP side) is solved exactly
   by HiGHS (:func:`selector.engine.backends.run_highs`). Its answer raises ``L``; the proof is
   ``bound = max(core bound, U − min_{i ∉ core} |d_i|)``. The core grows geometrically
   until the bound meets the incumbent within the requested gap.

The answer is re-checked with exact integer arithmetic before it is returned.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from selector.engine.backends import Limits, MatrixModel, run_highs

__all__ = ["KnapsackResult", "solve_knapsack"]

#: First core size tried when the greedy incumbent leaves a larger core than this.
_FIRST_CORE = 200
#: Factor by which the core grows from one round to the next.
_GROWTH = 4
#: Floor of the relative gap: float sums of benefits are exact only to about this.
_MIN_GAP = 1e-9


@dataclass(frozen=True)
class KnapsackResult:
    """The answer of :func:`solve_knapsack`.

    Attributes
    ----------
    x:
        Boolean selection, one entry per item, in input order.
    objective:
        ``Σ benefit[x]``.
    bound:
        A proven upper bound on the optimum (``bound >= objective``).
    optimal:
        True when ``(bound - objective) <= max(gap, 1e-9) * max(1, |objective|)``.
    seconds:
        Wall time of the call.
    core_size:
        Number of items the exact core solve saw last (0 when no core solve was needed).
    """

    x: np.ndarray
    objective: float
    bound: float
    optimal: bool
    seconds: float
    core_size: int = 0

    @property
    def gap(self) -> float:
        """Relative gap ``(bound - objective) / max(1, |objective|)``."""
        return max(0.0, self.bound - self.objective) / max(1.0, abs(self.objective))


def _check_inputs(cost: np.ndarray, benefit: np.ndarray, capacity: int, gap: float) -> None:
    if cost.ndim != 1 or benefit.ndim != 1:
        raise ValueError("cost and benefit must be 1-D arrays")
    if len(cost) != len(benefit):
        raise ValueError(f"cost and benefit must have the same length, got {len(cost)} and "
                         f"{len(benefit)}")
    if not np.issubdtype(cost.dtype, np.integer):
        raise ValueError(f"cost must hold integers (minor units), got dtype {cost.dtype}")
    if len(cost) and int(cost.min()) < 0:
        raise ValueError(f"cost must be >= 0, got {int(cost.min())}")
    if not np.all(np.isfinite(benefit)):
        raise ValueError("benefit must be finite (no NaN or infinity)")
    if isinstance(capacity, bool) or not isinstance(capacity, int | np.integer):
        raise ValueError(f"capacity must be an integer (minor units), got {capacity!r}")
    if capacity < 0:
        raise ValueError(f"capacity must be >= 0, got {capacity}")
    if not (gap >= 0 and math.isfinite(gap)):
        raise ValueError(f"gap must be a finite number >= 0, got {gap}")
    if len(cost) and float(cost.max()) * len(cost) >= 2.0**62:
        raise ValueError("total cost does not fit in int64 minor units")


def _greedy(c: np.ndarray, b: np.ndarray, s: int, capacity: int) -> np.ndarray:
    """Greedy fill in ratio order (items already sorted): the prefix, then whatever fits."""
    x = np.zeros(len(c), dtype=bool)
    x[:s] = True
    left = capacity - int(c[:s].sum())
    rest = np.flatnonzero(c[s:] <= left) + s
    for j in rest:
        cj = int(c[j])
        if cj <= left:
            x[j] = True
            left -= cj
            if left == 0:
                break
    best_single = int(np.argmax(b))  # every candidate fits alone (cost <= capacity)
    if b[best_single] > float(b[x].sum()):
        x[:] = False
        x[best_single] = True
    return x


def _solve_core(c: np.ndarray, b: np.ndarray, capacity: int, rel_gap: float,
                time_limit: float | None) -> tuple[np.ndarray | None, float]:
    """Exact 0/1 knapsack on a small core by HiGHS; (feasible x or None, proven bound)."""
    k = len(c)
    lp_bound = float(b.sum())  # a (weak) bound that holds even when HiGHS proves nothing
    if k == 0:
        return np.zeros(0, dtype=bool), 0.0
    model = MatrixModel(b.astype(np.float64), sp.csr_matrix(c.astype(np.float64)[None, :]),
                        np.array([-np.inf]), np.array([float(capacity)]), np.zeros(k),
                        np.ones(k), np.ones(k, dtype=bool), maximize=True)
    # Presolve on: one row of whole numbers, where HiGHS's presolve proves strongly
    # correlated cores at once (375 items, benefit = cost + 10, seed 2383 of
    # tests/test_knapsack.py: 0.01 s, against no proof in 60 s without it). The core
    # solver ran so before it went through the backends (scipy's milp); the rule models,
    # whose share rows presolve once mis-proved, keep it off.
    res = run_highs(model, Limits(time_limit=None if time_limit is None
                                  else max(time_limit, 0.01), rel_gap=rel_gap),
                    presolve=True)
    bound = lp_bound
    if math.isfinite(res.bound):
        bound = min(bound, float(res.bound))
    if res.x is None:
        return None, bound
    x = np.rint(res.x) > 0.5
    # Exact integer re-check: drop the worst-ratio items if rounding broke the budget.
    if int(c[x].sum()) > capacity:
        chosen = np.flatnonzero(x)
        worst_first = chosen[np.argsort(b[chosen] / c[chosen], kind="stable")]
        over = int(c[x].sum()) - capacity
        for j in worst_first:
            if over <= 0:
                break
            x[j] = False
            over -= int(c[j])
    return x, bound


def solve_knapsack(
    cost: np.ndarray,
    benefit: np.ndarray,
    capacity: int,
    *,
    gap: float = 1e-6,
    time_limit: float | None = None,
) -> KnapsackResult:
    """Maximise ``Σ benefit·x`` subject to ``Σ cost·x ≤ capacity``, x binary, with a proof.

    Parameters
    ----------
    cost:
        Non-negative integer costs (exact minor units), shape ``(n,)``.
    benefit:
        Finite benefits, shape ``(n,)``; items with ``benefit <= 0`` are never taken.
    capacity:
        The budget in the same minor units.
    gap:
        Relative gap ``(bound - objective) / max(1, |objective|)`` at which the answer is
        called optimal. ``0`` asks for the exact optimum; gaps below 1e-9 (the accuracy of
        a float sum of benefits) are treated as 1e-9.
    time_limit:
        Seconds for the whole call; on expiry the best answer so far is returned with
        ``optimal=False`` and its proven bound.

    Returns
    -------
    KnapsackResult

    Examples
    --------
    >>> r = solve_knapsack(np.array([3, 4, 5, 0]), np.array([4.0, 5.0, 6.0, 1.0]), 8)
    >>> r.x.tolist(), r.objective, r.optimal
    ([True, False, True, True], 11.0, True)
    """
    start = time.perf_counter()
    cost = np.asarray(cost)
    benefit = np.asarray(benefit, dtype=np.float64)
    _check_inputs(cost, benefit, capacity, gap)
    capacity = int(capacity)
    cost = cost.astype(np.int64, copy=False)
    x_out = (cost == 0) & (benefit > 0)        # worth taking, free of charge
    base = float(benefit[x_out].sum())
    cand = np.flatnonzero((cost > 0) & (benefit > 0) & (cost <= capacity))
    if int(cost[cand].sum()) <= capacity:  # everything fits (also: no candidate at all)
        x_out[cand] = True
        total = base + float(benefit[cand].sum())
        return _result(x_out, (total, total, 0), gap, start)
    dz = _Dantzig.of(cost[cand], benefit[cand], cand, capacity)
    x, best, bound, k = _core_rounds(dz, capacity, max(gap, _MIN_GAP), base,
                                     None if time_limit is None else start + time_limit)
    if int(dz.c[x].sum()) > capacity:  # exact re-check; cannot happen by construction
        raise RuntimeError("knapsack answer exceeds the capacity")
    x_out[dz.idx[x]] = True
    return _result(x_out, (base + best, base + bound, k), gap, start)


def _result(x: np.ndarray, found: tuple[float, float, int], gap: float,
            start: float) -> KnapsackResult:
    objective, bound, core = found
    bound = max(bound, objective)
    optimal = bound - objective <= max(gap, _MIN_GAP) * max(1.0, abs(objective))
    return KnapsackResult(x, objective, bound, optimal, time.perf_counter() - start, core)


@dataclass(frozen=True)
class _Dantzig:
    """The items in falling ratio order (``idx``: their positions), the break item ``s``,
    the LP bound ``upper`` and the items ordered by ``|reduced cost|`` (``by_absd``,
    ``sorted_absd``)."""

    idx: np.ndarray
    c: np.ndarray
    b: np.ndarray
    s: int
    upper: float
    by_absd: np.ndarray
    sorted_absd: np.ndarray

    @classmethod
    def of(cls, c_all: np.ndarray, b_all: np.ndarray, cand: np.ndarray,
           capacity: int) -> _Dantzig:
        order = np.lexsort((c_all, -(b_all / c_all)))   # ratio falling; ties: cheaper first
        c, b = c_all[order], b_all[order]
        cum = np.cumsum(c)
        s = int(np.searchsorted(cum, capacity, side="right"))  # items [0, s) fit entirely
        lam = float(b[s] / c[s])
        used = int(cum[s - 1]) if s else 0
        upper = float(b[:s].sum()) + (capacity - used) * lam
        d = b - lam * c
        d[:s] = np.maximum(d[:s], 0.0)
        d[s:] = np.minimum(d[s:], 0.0)
        d[s] = 0.0
        absd = np.abs(d)
        by_absd = np.argsort(absd, kind="stable")
        return cls(cand[order], c, b, s, upper, by_absd, absd[by_absd])


def _core_rounds(dz: _Dantzig, capacity: int, gap: float, base: float,
                 deadline: float | None) -> tuple[np.ndarray, float, float, int]:
    """Grow the core until the bound meets the incumbent within ``gap``; returns the
    items chosen (in ratio order), their benefit, the proven bound and the core size."""
    c, b, s, upper, m = dz.c, dz.b, dz.s, dz.upper, len(dz.c)
    tol = 1e-9 * max(1.0, abs(upper))
    x = _greedy(c, b, s, capacity)
    best = float(b[x].sum())

    def allowed(incumbent: float) -> float:
        return gap * max(1.0, abs(base + incumbent))

    k = 0  # the core is by_absd[:k]
    core_part = upper  # proven bound of the last core problem (fixed benefit included)
    while True:
        outside = upper - float(dz.sorted_absd[k]) if k < m else -math.inf
        bound = upper if k == 0 else max(core_part, outside)
        # items whose flip could still beat the incumbent by more than the gap
        need = int(np.searchsorted(dz.sorted_absd, upper - best - allowed(best) + tol,
                                   side="left"))
        if bound - best <= allowed(best) or k >= need or k >= m or (
                deadline is not None and time.perf_counter() >= deadline):
            break   # proven; or only the core solve stopped short; or out of time
        k = min(need, max(_FIRST_CORE, _GROWTH * k), m)
        core = dz.by_absd[:k]
        fixed_in = np.arange(m) < s
        fixed_in[core] = False
        fixed_benefit = float(b[fixed_in].sum())
        rel = min(1.0, allowed(best) / max(1.0, abs(upper - fixed_benefit)))
        xc, core_bound = _solve_core(c[core], b[core], capacity - int(c[fixed_in].sum()), rel,
                                     None if deadline is None
                                     else deadline - time.perf_counter())
        core_part = fixed_benefit + core_bound
        if xc is not None and fixed_benefit + float(b[core][xc].sum()) > best:
            x = fixed_in
            x[core[xc]] = True
            best = fixed_benefit + float(b[core][xc].sum())
    return x, best, min(bound, upper), k
