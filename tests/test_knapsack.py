"""The budget-only core solver against brute force, a dynamic programme and OR-Library rows."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from selector.engine._knapsack import solve_knapsack


def brute_force(cost: np.ndarray, benefit: np.ndarray, capacity: int) -> float:
    """Best objective over all 2^n subsets."""
    n = len(cost)
    best = 0.0
    for mask in itertools.product((False, True), repeat=n):
        x = np.array(mask, dtype=bool)
        if int(cost[x].sum()) <= capacity:
            best = max(best, float(benefit[x].sum()))
    return best


def dp_optimum(cost: np.ndarray, benefit: np.ndarray, capacity: int) -> float:
    """Classic O(n * capacity) dynamic programme (integer costs)."""
    table = np.zeros(capacity + 1)
    for c, b in zip(cost.tolist(), benefit.tolist(), strict=True):
        if b <= 0 or c > capacity:
            continue
        if c == 0:
            table += b
            continue
        table[c:] = np.maximum(table[c:], table[:-c] + b)
    return float(table[capacity])


def check(cost: np.ndarray, benefit: np.ndarray, capacity: int, expected: float,
          gap: float = 0.0) -> None:
    r = solve_knapsack(cost, benefit, capacity, gap=gap)
    assert r.x.dtype == bool and r.x.shape == cost.shape
    assert int(cost[r.x].sum()) <= capacity
    assert r.objective == pytest.approx(float(benefit[r.x].sum()), rel=1e-12, abs=1e-9)
    assert r.optimal
    assert r.bound >= r.objective
    tol = max(gap, 1e-9) * max(1.0, abs(expected)) + 1e-9
    assert abs(r.objective - expected) <= tol
    assert r.bound - expected <= tol


@st.composite
def small_instances(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int]:
    n = draw(st.integers(0, 14))
    # Costs include zeros, ties and values above the capacity; benefits are floats,
    # sometimes zero or negative.
    cost = draw(st.lists(st.integers(0, 60), min_size=n, max_size=n))
    benefit = draw(st.lists(
        st.one_of(st.floats(-5, 100, allow_nan=False, allow_infinity=False),
                  st.sampled_from([0.0, 1.0, 10.0])),
        min_size=n, max_size=n))
    capacity = draw(st.integers(0, 200))
    return np.array(cost, dtype=np.int64), np.array(benefit, dtype=np.float64), capacity


@settings(max_examples=60, deadline=None)
@given(small_instances())
def test_matches_brute_force(inst: tuple[np.ndarray, np.ndarray, int]) -> None:
    cost, benefit, capacity = inst
    check(cost, benefit, capacity, brute_force(cost, benefit, capacity))


@settings(max_examples=30, deadline=None)
@given(st.integers(50, 400), st.integers(0, 2**32 - 1), st.floats(0.05, 0.9))
# HiGHS without presolve found no proof of this core (benefit = cost + 10) in 20 minutes
@example(n=375, seed=2383, share=0.3891238071075463)
def test_matches_dp_on_integer_instances(n: int, seed: int, share: float) -> None:
    rng = np.random.default_rng(seed)
    cost = rng.integers(1, 100, n).astype(np.int64)
    # Strongly correlated benefits (cost + constant): the hard case for core methods.
    kind = seed % 3
    if kind == 0:
        benefit = rng.integers(0, 100, n).astype(np.float64)
    elif kind == 1:
        benefit = (cost + 10).astype(np.float64)
    else:
        benefit = (cost * 3).astype(np.float64)  # every ratio ties
    capacity = int(cost.sum() * share)
    check(cost, benefit, capacity, dp_optimum(cost, benefit, capacity))


def test_large_instance_fixes_most_items_and_matches_dp() -> None:
    rng = np.random.default_rng(7)
    n = 5_000
    cost = rng.integers(1, 100, n).astype(np.int64)
    benefit = rng.integers(1, 300, n).astype(np.float64)
    capacity = int(cost.sum() // 10)
    r = solve_knapsack(cost, benefit, capacity, gap=0.0)
    assert r.core_size < n  # reduced-cost fixing did its work
    check(cost, benefit, capacity, dp_optimum(cost, benefit, capacity))


def test_default_gap_is_honest_on_float_benefits() -> None:
    rng = np.random.default_rng(3)
    n = 3_000
    cost = np.rint(rng.lognormal(np.log(2e7), 0.8, n)).astype(np.int64)
    benefit = cost / 1e4 * rng.lognormal(0, 0.3, n)
    capacity = int(cost.sum() * 0.3)
    r = solve_knapsack(cost, benefit, capacity)
    assert r.optimal and r.gap <= 1e-6
    assert int(cost[r.x].sum()) <= capacity
    exact = solve_knapsack(cost, benefit, capacity, gap=0.0)
    assert exact.objective >= r.objective - 1e-6 * r.objective
    assert r.bound >= exact.objective - 1e-9 * exact.objective


def test_edge_cases() -> None:
    empty = solve_knapsack(np.zeros(0, dtype=np.int64), np.zeros(0), 10)
    assert empty.optimal and empty.objective == 0.0 and empty.x.shape == (0,)
    # zero-cost items are always taken (when they help), too-costly ones never
    r = solve_knapsack(np.array([0, 0, 11, 5]), np.array([2.0, 0.0, 100.0, 1.0]), 10)
    assert r.x.tolist() == [True, False, False, True] and r.objective == 3.0
    # capacity zero
    r = solve_knapsack(np.array([1, 0]), np.array([5.0, 1.0]), 0)
    assert r.x.tolist() == [False, True]
    # everything fits
    r = solve_knapsack(np.array([1, 2, 3]), np.array([1.0, 1.0, -1.0]), 100)
    assert r.x.tolist() == [True, True, False] and r.bound == 2.0


def test_time_limit_still_returns_a_feasible_answer_with_a_bound() -> None:
    rng = np.random.default_rng(11)
    cost = rng.integers(1_000, 100_000, 5_000).astype(np.int64)
    benefit = (cost + 1_000).astype(np.float64)
    capacity = int(cost.sum() // 2)
    r = solve_knapsack(cost, benefit, capacity, gap=0.0, time_limit=0.0)
    assert int(cost[r.x].sum()) <= capacity
    assert r.bound >= r.objective > 0


@pytest.mark.parametrize(
    ("cost", "benefit", "capacity", "message"),
    [
        (np.array([1.5]), np.array([1.0]), 1, "integers"),
        (np.array([-1]), np.array([1.0]), 1, ">= 0"),
        (np.array([1]), np.array([np.nan]), 1, "finite"),
        (np.array([1, 2]), np.array([1.0]), 1, "same length"),
        (np.array([1]), np.array([1.0]), -1, "capacity"),
        (np.array([1]), np.array([1.0]), 1.5, "capacity"),
    ],
)
def test_bad_input(cost: np.ndarray, benefit: np.ndarray, capacity: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        solve_knapsack(cost, benefit, capacity)


def _orlib_rows(path: Path, problems: int) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """Each constraint row of the first OR-Library problems, as a one-row knapsack."""
    numbers = path.read_text().split()
    pos = 1
    rows = []
    for _ in range(problems):
        n, m = int(numbers[pos]), int(numbers[pos + 1])
        pos += 3
        profit = np.array(numbers[pos:pos + n], dtype=np.float64)
        pos += n
        weights = np.array(numbers[pos:pos + n * m], dtype=np.int64).reshape(m, n)
        pos += n * m
        caps = [int(float(v)) for v in numbers[pos:pos + m]]
        pos += m
        rows.extend((weights[i], profit, caps[i]) for i in range(m))
    return rows


@pytest.mark.parametrize(("name", "problems"), [("mknap1.txt", 7), ("mknapcb1.txt", 3)])
def test_orlib_rows_match_dp(orlib_dir: Path, name: str, problems: int) -> None:
    for cost, benefit, capacity in _orlib_rows(orlib_dir / name, problems):
        check(cost, benefit, capacity, dp_optimum(cost, benefit, capacity))


def lexicographic_optimum(cost: np.ndarray, benefit: np.ndarray, rank: np.ndarray,
                          capacity: int) -> list[tuple[int, int, int]]:
    """Every subset's key (most benefit, then least cost, then least rank sum), best first."""
    keys = []
    for mask in itertools.product((False, True), repeat=len(cost)):
        x = np.array(mask, dtype=bool)
        if int(cost[x].sum()) <= capacity:
            keys.append((-int(benefit[x].sum()), int(cost[x].sum()), int(rank[x].sum())))
    return sorted(keys)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 9)), min_size=1, max_size=11),
       st.integers(0, 60))
def test_small_search_is_the_three_stage_optimum_by_brute_force(items, capacity):
    """Small costs and values make ties everywhere: the key (value, cost, rank sum) of the
    list found is the best over all subsets."""
    from selector.engine._small_knapsack import solve_small_knapsack

    cost = np.array([c for c, _ in items], dtype=np.int64)
    benefit = np.array([b for _, b in items], dtype=float)
    rank = np.arange(1, len(items) + 1)
    x = solve_small_knapsack(cost, benefit, rank, capacity)
    assert x is not None
    found = (-int(benefit[x].sum()), int(cost[x].sum()), int(rank[x].sum()))
    assert int(cost[x].sum()) <= capacity
    assert found == lexicographic_optimum(cost, benefit, rank, capacity)[0]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3000), st.integers(0, 40)), min_size=2, max_size=9),
       st.floats(0.1, 0.9))
def test_small_budget_only_calls_select_what_the_milp_selects(items, frac):
    """Through ``Model.solve``: the dynamic programme and the MILP's three stages give the
    same objective, cost and rank sum (and the same list whenever that key is unique)."""
    from selector import Proposal, ProposalSet, Rules
    from selector.engine import Model
    from selector.engine import _small_knapsack as sk

    ps = ProposalSet.from_proposals(
        Proposal(id=f"P{k:02d}", domain="health", cost=c, beneficiaries=b)
        for k, (c, b) in enumerate(items))
    rules = Rules(budget=max(1, int(sum(c for c, _ in items) * frac)),
                  eligibility={"require_indicator": False}, completion=None)
    fast = Model.build(ps, rules).solve(solver="highs")
    assert fast.solver == "knapsack" or all(c > rules.total_budget for c, _ in items)
    limit = sk.MAX_ITEMS
    try:
        sk.MAX_ITEMS = 0
        milp = Model.build(ps, rules).solve(solver="highs")
    finally:
        sk.MAX_ITEMS = limit
    assert milp.solver in ("highs", "cpsat") or all(c > rules.total_budget for c, _ in items)
    assert (fast.objective, fast.total_cost) == (milp.objective, milp.total_cost)
    cost = np.array([c for c, _ in items])
    benefit = np.array([b for _, b in items], dtype=float)
    rank = np.arange(1, len(items) + 1)
    keys = lexicographic_optimum(cost * 100, benefit, rank, int(rules.total_budget * 100))
    if len(keys) < 2 or keys[0] != keys[1]:
        assert fast.selected == milp.selected


def test_ties_everywhere_are_broken_by_cost_then_id():
    """Forty equal items tie on value at every depth (the old branch and bound gave up
    here): the programme's table takes the twenty earliest ids at once."""
    from selector import Proposal, ProposalSet, Rules
    from selector.engine import Model
    from selector.engine import _small_knapsack as sk

    n = 40
    x = sk.solve_small_knapsack(np.full(n, 10, dtype=np.int64), np.full(n, 7.0),
                                np.arange(1, n + 1), 10 * n // 2 + 5)
    assert x is not None and np.flatnonzero(x).tolist() == list(range(20))
    ps = ProposalSet.from_proposals(
        Proposal(id=f"P{k:02d}", domain="health", cost=10, beneficiaries=7) for k in range(n))
    sel = Model.build(ps, Rules(budget=205, eligibility={"require_indicator": False},
                                completion=None)).solve(solver="highs")
    assert sel.solver == "knapsack" and sel.solver.route == "knapsack-dp"
    assert sel.selected == tuple(f"P{k:02d}" for k in range(20))


def test_a_table_too_large_hands_over_to_the_milp(monkeypatch: pytest.MonkeyPatch):
    """When the core does not fit the table (a tiny MAX_CELLS here) the programme declines
    and ``Model.solve`` answers with another route: the same list."""
    from selector import Proposal, ProposalSet, Rules
    from selector.engine import Model
    from selector.engine import _small_knapsack as sk

    rng = np.random.default_rng(5)
    ps = ProposalSet.from_proposals(
        Proposal(id=f"P{k:02d}", domain="health", cost=int(c), beneficiaries=int(b))
        for k, (c, b) in enumerate(zip(rng.integers(10, 90, 30), rng.integers(1, 60, 30),
                                       strict=True)))
    rules = Rules(budget=600, eligibility={"require_indicator": False}, completion=None)
    dp = Model.build(ps, rules).solve(solver="highs")
    monkeypatch.setattr(sk, "MAX_CELLS", 10)
    cost = ps.frame["cost_minor"].to_numpy()
    weight = ps.frame["beneficiaries"].to_numpy()
    assert sk.solve_small_knapsack(cost, weight, np.arange(1, 31), 60000) is None
    other = Model.build(ps, rules).solve(solver="highs")
    assert dp.solver == "knapsack" and other.solver != "knapsack"
    assert (other.selected, other.objective) == (dp.selected, dp.objective)
