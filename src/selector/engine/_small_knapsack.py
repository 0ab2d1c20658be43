"""A budget-only call with whole-number weights, solved exactly without a MILP solver.

Decision variables:  x_i ∈ {0, 1}
Objective:           lexicographic — max Σ w_i x_i (whole numbers), then min Σ c_i x_i,
                     then min Σ r_i x_i (r_i: rank of the id in text order, from 1)
Constraint:          Σ c_i x_i ≤ C                        (fen, exact integers)

This is the engine's documented three-stage tie-break (:mod:`selector.engine.solve`) for a
one-row model, found in exact integer arithmetic:

1. **Dantzig's bound.** In falling ``w/c`` order the break item ``s`` gives the LP bound
   ``U`` and the multiplier ``λ = w_s / c_s``; each item's reduced cost is
   ``d_i = w_i − λ c_i``. For every list ``x`` within the budget,
   ``w·x ≤ U − Σ_{i flipped} |d_i|``, where *flipped* means ``x_i`` differs from the LP's
   side of ``i`` (in before the break item, out after it).
2. **Fixing.** Given any list of value ``L`` (a greedy fill first), an item with
   ``U − |d_i| < L`` sits on its LP side in *every* list worth ``L`` or more — so in every
   optimal list, whatever the tie-break then prefers. The items left, the *core*, are the
   only ones the three stages can still move. All of this is compared in integers
   (``U·c_s`` and ``d_i·c_s`` are whole), so no rounding can fix a wrong item.
3. **Dynamic programme over the core.** ``best[p]`` = the least key ``cost·M + rank_sum``
   (``M`` = the core's rank sum + 1, so cost decides first) of a core subset worth exactly
   ``p``, for every ``p`` up to the core's total weight, with states over the budget
   dropped. The largest reachable ``p`` is stage 1, its key stages 2 and 3.
4. When the core is too large for the table (:data:`MAX_CELLS`), the programme first runs
   on the items of least ``|d|`` alone (the rest on their LP side): its list raises ``L``,
   which shrinks the core; repeated with a growing sub-core until the whole core fits.

It gives up (``None``: the caller then solves the MILP) when weights are not whole numbers,
when integer keys could overflow 2^62, or when the core never fits the table.

A MILP solver's fixed cost (building the model, three solver runs) is tens of
milliseconds; this finishes a 1,000-proposal call in a few.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_CELLS", "MAX_ITEMS", "solve_small_knapsack"]

#: Calls with up to this many candidates are tried here first (larger budget-only calls
#: go to the core knapsack solver with a gap, see :mod:`selector.engine.solve`).
MAX_ITEMS = 200_000
#: The dynamic programme's table may hold at most this many cells (items × values).
MAX_CELLS = 20_000_000
#: First sub-core tried when the whole core does not fit the table.
_FIRST_SUBCORE = 32
#: Integer keys and products must stay below this.
_LIMIT = 2**62


def solve_small_knapsack(cost: np.ndarray, weight: np.ndarray, rank: np.ndarray,
                         capacity: int) -> np.ndarray | None:
    """The lexicographic optimum (see the module docstring) as a boolean mask, or ``None``
    when it cannot be found here (the caller then solves the MILP).

    Examples
    --------
    >>> solve_small_knapsack(np.array([3, 4, 5]), np.array([4.0, 5.0, 6.0]),
    ...                      np.array([1, 2, 3]), 8).tolist()
    [True, False, True]
    """
    n = len(cost)
    if n > MAX_ITEMS or not np.all(weight == np.round(weight)):
        return None
    c = np.asarray(cost, dtype=np.int64)
    w = np.asarray(np.round(weight), dtype=np.int64)
    r = np.asarray(rank, dtype=np.int64)
    capacity = int(capacity)
    chosen: np.ndarray = (c == 0) & (w > 0)      # worth taking, free of charge
    items = np.flatnonzero((c > 0) & (w > 0) & (c <= capacity))
    if int(c[items].sum()) <= capacity:          # everything worth taking fits
        chosen[items] = True
        return chosen
    wi, ci = w[items], c[items]
    if (float(wi.sum()) + 1.0) * float(ci.max()) >= _LIMIT / 2 or \
            float(capacity) * float(wi.max()) >= _LIMIT / 2:
        return None
    picked = _solve_items(ci, wi, r[items], capacity)
    if picked is None:
        return None
    chosen[items[picked]] = True
    return chosen


def _solve_items(c: np.ndarray, w: np.ndarray, r: np.ndarray, capacity: int) -> np.ndarray | None:
    """The lexicographic optimum over items that are each worth taking and fit alone."""
    order = np.lexsort((r, c, -(w / c)))        # falling ratio; ties: cheaper, earlier id
    c, w, r = c[order], w[order], r[order]
    s = int(np.searchsorted(np.cumsum(c), capacity, side="right"))   # the break item
    cs, ws = int(c[s]), int(w[s])
    # Everything below is exact in integers, scaled by c_s: d_i·c_s = w_i·c_s − w_s·c_i and
    # U·c_s = C·w_s + Σ max(d_i·c_s, 0) (the Lagrangian bound at λ = w_s / c_s, which holds
    # for any λ ≥ 0: the ratio order only makes it tight).
    d_cs = w * cs - ws * c
    upper_cs = capacity * ws + int(np.maximum(d_cs, 0).sum())
    absd_cs = np.abs(d_cs)
    lp_side = d_cs > 0
    best = _greedy(c, w, s, capacity)
    value = int(w[best].sum())
    by_absd = np.argsort(absd_cs, kind="stable")
    k = _FIRST_SUBCORE
    while True:
        core = np.flatnonzero(upper_cs - absd_cs >= value * cs)   # may still move
        picked = _dp((c, w, r), capacity, core, lp_side)
        if picked is not None:
            out = np.zeros(len(c), dtype=bool)
            out[order] = picked
            return out
        if k >= len(core):
            return None
        trial = _dp((c, w, r), capacity, by_absd[:k], lp_side)   # least |d| alone: raises L
        if trial is not None and int(w[trial].sum()) > value:
            value = int(w[trial].sum())
        k *= 4


def _greedy(c: np.ndarray, w: np.ndarray, s: int, capacity: int) -> np.ndarray:
    """In ratio order: the prefix that fits, then every later item that still fits; or the
    best single item when that is worth more."""
    x = np.zeros(len(c), dtype=bool)
    x[:s] = True
    left = capacity - int(c[:s].sum())
    for j in np.flatnonzero(c[s:] <= left) + s:
        if c[j] <= left:
            x[j] = True
            left -= int(c[j])
    single = int(np.argmax(w))
    if int(w[single]) > int(w[x].sum()):
        x[:] = False
        x[single] = True
    return x


def _dp(items: tuple[np.ndarray, np.ndarray, np.ndarray], capacity: int, core: np.ndarray,
        lp_side: np.ndarray) -> np.ndarray | None:
    """The lexicographic optimum with every item outside ``core`` on its LP side (``None``
    when the table would be too large or keys could overflow); ``items``: costs, weights
    and ranks."""
    c, w, r = items
    fixed_in = lp_side.copy()
    fixed_in[core] = False
    room = capacity - int(c[fixed_in].sum())
    if room < 0:
        return None   # (cannot happen for the proven core: its fixed items fit)
    cw, cc, cr = w[core], c[core], r[core]
    total = int(cw.sum())
    if len(core) * (total + 1) > MAX_CELLS:
        return None
    m = int(cr.sum()) + 1                        # rank sums stay below m: cost decides first
    if (room + 1) * m >= _LIMIT:
        return None
    infinite = np.int64(_LIMIT)
    too_dear = (room + 1) * m                    # a key at or above this spends over budget
    best = np.full(total + 1, infinite, dtype=np.int64)
    best[0] = 0
    keys = cc * m + cr
    took = np.zeros((len(core), total + 1), dtype=bool)
    for k in range(len(core)):
        wk = int(cw[k])
        cand = best[: total + 1 - wk] + keys[k]
        better = cand < best[wk:]
        better &= cand < too_dear
        best[wk:][better] = cand[better]
        took[k, wk:] = better
    reach = np.flatnonzero(best < too_dear)
    p = int(reach[-1])
    picked = fixed_in
    for k in range(len(core) - 1, -1, -1):
        if took[k, p]:
            picked[core[k]] = True
            p -= int(cw[k])
    return picked
