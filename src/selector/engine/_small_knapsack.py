"""A small budget-only call, solved exactly without a MILP solver.

Decision variables:  x_i ∈ {0, 1}
Objective:           lexicographic — max Σ w_i x_i (whole numbers), then min Σ c_i x_i,
                     then min Σ r_i x_i (r_i: rank of the id in text order, from 1)
Constraint:          Σ c_i x_i ≤ C                        (fen, exact integers)

This is the engine's documented three-stage tie-break (:mod:`selector.engine.solve`)
for a one-row model, found by a depth-first branch and bound over the items in falling
``w/c`` order with Dantzig's bound (the LP bound of the rest, rounded down since ``w`` is
whole): a branch is cut when even that bound cannot reach the best value found. Ties on
the value are kept (the cost and rank decide among them), so the search has a node limit;
past it the caller solves the MILP. Everything is integer arithmetic: the answer is exact.

A MILP solver's fixed cost (building the model, three solver runs) is several
milliseconds; on the small elections typical of participatory budgeting this search
finishes in well under one.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["MAX_ITEMS", "MAX_NODES", "solve_small_knapsack"]

#: Calls with at most this many candidates are tried here first.
MAX_ITEMS = 400
#: Nodes the search may visit before giving up (the caller then runs the MILP).
MAX_NODES = 20_000


def solve_small_knapsack(cost: np.ndarray, weight: np.ndarray, rank: np.ndarray,
                         capacity: int) -> np.ndarray | None:
    """The lexicographic optimum (see the module docstring) as a boolean mask, or ``None``
    when the weights are not whole numbers or the node limit is reached."""
    n = len(cost)
    if n > MAX_ITEMS or not np.all(weight == np.round(weight)):
        return None
    c = [int(v) for v in cost]
    w = [int(v) for v in weight]
    r = [int(v) for v in rank]
    chosen = [False] * n
    free = [i for i in range(n) if c[i] == 0 and w[i] > 0]     # always worth taking
    for i in free:
        chosen[i] = True
    # others worth a look: something to gain, and they fit at all
    items = [i for i in range(n) if c[i] > 0 and w[i] > 0 and c[i] <= capacity]
    items.sort(key=lambda i: (-w[i] / c[i], r[i]))
    m = len(items)
    ic = [c[i] for i in items]
    iw = [w[i] for i in items]
    ir = [r[i] for i in items]
    best_key = (0, 0, 0)              # (value, -cost, -rank) of the empty set
    best: list[int] = []
    nodes = 0
    path: list[int] = []

    def bound(k: int, room: int) -> int:
        total = 0.0
        for j in range(k, m):
            if ic[j] <= room:
                room -= ic[j]
                total += iw[j]
            else:
                total += iw[j] * room / ic[j]
                break
        return math.floor(total + 1e-9)

    def search(k: int, room: int, value: int, spent: int, ranks: int) -> bool:
        nonlocal best_key, best, nodes
        nodes += 1
        if nodes > MAX_NODES:
            return False
        key = (value, -spent, -ranks)
        if key > best_key:
            best_key, best = key, list(path)
        if k == m or value + bound(k, room) < best_key[0]:
            return True
        if ic[k] <= room:
            path.append(k)
            ok = search(k + 1, room - ic[k], value + iw[k], spent + ic[k], ranks + ir[k])
            path.pop()
            if not ok:
                return False
        return search(k + 1, room, value, spent, ranks)

    if not search(0, capacity - sum(c[i] for i in free), 0, 0, 0):
        return None
    for k in best:
        chosen[items[k]] = True
    return np.array(chosen, dtype=bool)
