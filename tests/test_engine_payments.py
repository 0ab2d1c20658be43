"""Pool payments: every project paid to the fen from pools it may use, no pool overdrawn.

Oracles: Gale's condition (a plan exists exactly when, for every set S of pools, the
projects that may only use pools in S cost at most what S holds; exact integers) and
scipy's LP over every (project, pool) pair for the least preference cost.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from selector.engine.solve import exact_pool_payments


def _plan_exists(cost: np.ndarray, allowed: np.ndarray, amounts: np.ndarray) -> bool:
    npools = allowed.shape[1]
    for size in range(npools + 1):
        for pools in combinations(range(npools), size):
            inside = np.zeros(npools, dtype=bool)
            inside[list(pools)] = True
            confined = ~(allowed & ~inside).any(axis=1)
            if int(cost[confined].sum()) > int(amounts[inside].sum()):
                return False
    return True


def _least_preference_cost(cost: np.ndarray, allowed: np.ndarray,
                           amounts: np.ndarray) -> float:
    k_idx, p_idx = np.nonzero(allowed)
    nk, npools = allowed.shape
    if not len(k_idx):
        return 0.0   # nothing may be paid, and nothing is owed (the plan exists)
    a_eq = np.zeros((nk, len(k_idx)))
    a_eq[k_idx, np.arange(len(k_idx))] = 1
    a_ub = np.zeros((npools, len(k_idx)))
    a_ub[p_idx, np.arange(len(k_idx))] = 1
    res = linprog(p_idx + 1.0, A_ub=a_ub, b_ub=amounts, A_eq=a_eq, b_eq=cost,
                  bounds=(0, None), method="highs")
    assert res.status == 0
    return float(res.fun)


@st.composite
def calls(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    nk = draw(st.integers(0, 12))
    npools = draw(st.integers(1, 4))
    scale = draw(st.sampled_from((100, 10_000_000, 10**11)))
    cost = np.array([draw(st.integers(0, scale)) for _ in range(nk)], dtype=np.int64)
    allowed = np.array([[draw(st.booleans()) for _ in range(npools)] for _ in range(nk)],
                       dtype=bool).reshape(nk, npools)
    total = int(cost.sum())
    amounts = np.array([draw(st.integers(0, max(1, total))) for _ in range(npools)],
                       dtype=np.int64)
    return cost, allowed, amounts


@settings(max_examples=300, deadline=None)
@given(call=calls())
def test_payments_match_gale_and_the_lp(call: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    cost, allowed, amounts = call
    y = exact_pool_payments(cost, allowed, amounts)
    assert (y is not None) == _plan_exists(cost, allowed, amounts)
    if y is None:
        return
    assert y.dtype == np.int64 and y.shape == allowed.shape
    assert np.all(y >= 0) and np.all(y[~allowed] == 0)
    assert np.array_equal(y.sum(axis=1), cost)
    assert np.all(y.sum(axis=0) <= amounts)
    if len(cost) and cost.sum() < 10**9:   # scipy's LP is exact enough at this scale
        preference = float(((np.arange(allowed.shape[1]) + 1) * y).sum())
        assert abs(preference - _least_preference_cost(cost, allowed, amounts)) < 1e-3


def test_many_projects_few_patterns() -> None:
    """Thousands of projects with three pool patterns: paid exactly, earlier pools first."""
    rng = np.random.default_rng(3)
    nk = 5_000
    cost = rng.integers(1, 10**8, nk)
    patterns = np.array([[True, False, False], [True, True, False], [False, True, True]])
    allowed = patterns[rng.integers(0, 3, nk)]
    amounts = np.array([cost.sum() // 2, cost.sum() // 2, cost.sum()], dtype=np.int64)
    y = exact_pool_payments(cost, allowed, amounts)
    assert y is not None
    assert np.array_equal(y.sum(axis=1), cost) and np.all(y.sum(axis=0) <= amounts)
    assert np.all(y[~allowed] == 0)
    # pool 0 is the cheapest: it is spent up to what its projects can take from it
    can_use_0 = cost[allowed[:, 0]].sum()
    assert y[:, 0].sum() == min(amounts[0], can_use_0)
