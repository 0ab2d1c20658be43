"""Budget sweeps: each point equals an independent solve; the table is tidy and exact."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selector import InfeasibleError, InvalidInputError, Proposal, ProposalSet
from selector.engine import select
from selector.rules import Count, Eligibility, GroupRule, Rules
from selector.scenarios import budget_grid, sweep
from selector.scenarios.sweep import SWEEP_COLUMNS

PLAIN = Rules(completion=None, eligibility=Eligibility(require_indicator=False))
SOLVER = "highs"


def make_set(costs: list[int], benefits: list[int]) -> ProposalSet:
    domains = ("health", "skills", "rights")
    return ProposalSet.from_proposals([
        Proposal(id=f"P{k}", domain=domains[k % 3], cost=Decimal(c) / 100, beneficiaries=b)
        for k, (c, b) in enumerate(zip(costs, benefits, strict=True))])


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(100, 3000), st.integers(0, 60)), min_size=3, max_size=7),
       st.lists(st.integers(0, 100), min_size=1, max_size=5), st.booleans())
def test_each_point_equals_an_independent_select(items: list[tuple[int, int]],
                                                 shares: list[int], breadth: bool) -> None:
    costs = [c for c, _ in items]
    ps = make_set(costs, [b for _, b in items])
    rules = PLAIN
    if breadth:
        rules = PLAIN.model_copy(update={
            "groups": (GroupRule(column="domain", measure="cost", max_share=0.7),),
            "count": Count(max=4)})
    cheapest = min(costs)
    budgets = [Decimal(cheapest + (sum(costs) * s) // 100) / 100 for s in shares]
    table = sweep(ps, rules, budgets, solver=SOLVER, workers=1, progress=False)
    assert list(table.columns) == list(SWEEP_COLUMNS)
    assert list(table["budget"]) == budgets
    for _, row in table.iterrows():
        try:
            s = select(ps, rules, budget=row["budget"], solver=SOLVER)
        except InfeasibleError:
            assert row["status"] == "infeasible" and row["message"]
            continue
        assert (row["status"], row["objective"], row["ids"], row["cost_used"], row["count"]) == (
            s.status.value, s.objective, s.selected, s.total_cost, s.count)
    # the optimum never falls as the budget grows
    feasible = table[table["status"] == "optimal"].sort_values("budget")
    assert list(feasible["objective"]) == sorted(feasible["objective"])


def test_marginal_is_objective_per_extra_yuan_in_budget_order() -> None:
    ps = make_set([300, 400, 500, 900], [3, 5, 9, 10])
    table = sweep(ps, PLAIN, ["9", "3", "5"], solver=SOLVER, workers=1, progress=False)
    by_budget = {row["budget"]: row for _, row in table.iterrows()}
    assert math.isnan(by_budget[Decimal("3")]["marginal"])
    b3, b5, b9 = (by_budget[Decimal(x)]["objective"] for x in ("3", "5", "9"))
    assert by_budget[Decimal("5")]["marginal"] == pytest.approx((b5 - b3) / 2)
    assert by_budget[Decimal("9")]["marginal"] == pytest.approx((b9 - b5) / 4)


def test_infeasible_budgets_are_rows_not_errors() -> None:
    ps = make_set([300, 400, 500], [3, 5, 9])
    rules = PLAIN.model_copy(update={"count": Count(min=2)})
    table = sweep(ps, rules, ["3.5", "7", "12"], solver=SOLVER, workers=1, progress=False)
    assert list(table["status"]) == ["infeasible", "optimal", "optimal"]
    assert table["cost_used"].iloc[0] is None and table["count"].iloc[0] == 0
    assert list(table["objective"].iloc[1:]) == [8.0, 17.0]


def test_chunks_do_not_change_the_table() -> None:
    ps = make_set([300, 400, 500, 650, 800], [3, 5, 9, 7, 12])
    budgets = budget_grid(3, 26, 9)
    one = sweep(ps, PLAIN, budgets, solver=SOLVER, workers=1, progress=False)
    many = sweep(ps, PLAIN, budgets, solver=SOLVER, chunks=4, workers=1, progress=False)
    cols = [c for c in SWEEP_COLUMNS if c not in ("seconds", "message")]
    assert one[cols].equals(many[cols])      # (which rows were reused depends on chunks)


def test_a_list_proven_at_a_larger_budget_answers_the_smaller_ones() -> None:
    """Above 12 yuan the budget no longer binds (everything fits): the list solved at 30
    answers 12..29 without a solve, and each of those rows is what a solve would say."""
    ps = make_set([300, 400, 500], [3, 5, 9])
    budgets = ["30", "12", "20", "11.99"]
    table = sweep(ps, PLAIN, budgets, solver=SOLVER, workers=1, progress=False)
    reused = table[table["seconds"] == 0]
    assert list(reused["budget"]) == [Decimal("12"), Decimal("20")]
    assert all(m == "the list solved at budget 30" for m in reused["message"])
    for _, row in table.iterrows():
        s = select(ps, PLAIN, budget=row["budget"], solver=SOLVER)
        assert (row["objective"], row["ids"], row["cost_used"]) == (
            s.objective, s.selected, s.total_cost)
    assert table["ids"].iloc[3] != table["ids"].iloc[0]


def test_budget_grid_is_exact_and_inclusive() -> None:
    grid = budget_grid("100.00", "200.01", 4)
    assert grid[0] == Decimal("100") and grid[-1] == Decimal("200.01")
    assert all(b == b.quantize(Decimal("0.01")) for b in grid)
    assert grid == sorted(grid)
    assert budget_grid(5, 9, 1) == [Decimal("5")]
    with pytest.raises(InvalidInputError):
        budget_grid(0, 1, 0)


def test_bad_budgets_are_refused_with_the_value() -> None:
    ps = make_set([300, 400], [3, 5])
    with pytest.raises(InvalidInputError, match="0.001"):
        sweep(ps, PLAIN, ["0.001"], workers=1, progress=False)
    with pytest.raises(InvalidInputError, match="abc"):
        sweep(ps, PLAIN, ["abc"], workers=1, progress=False)
    assert sweep(ps, PLAIN, [], workers=1, progress=False).empty
