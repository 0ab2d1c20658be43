"""The exact efficient frontier against a brute-force oracle and independent solves."""

from __future__ import annotations

import itertools
import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selector import InfeasibleError, InvalidInputError, Proposal, ProposalSet
from selector.engine import select
from selector.result import TieBreak
from selector.rules import Count, Eligibility, GroupRule, Rules
from selector.scenarios import frontier

PLAIN = Rules(completion=None, eligibility=Eligibility(require_indicator=False))
SOLVER = "highs"


def make_set(costs: list[int], benefits: list[int], domains: list[str] | None = None
             ) -> ProposalSet:
    """Proposals with exact costs in fen."""
    return ProposalSet.from_proposals([
        Proposal(id=f"P{k}", domain=(domains[k] if domains else "health"),
                 cost=Decimal(c) / 100, beneficiaries=b)
        for k, (c, b) in enumerate(zip(costs, benefits, strict=True))])


def share_cap(share: float | None, budget: int) -> int:
    """The engine's per-project cap (fen) at a budget (documented in its screening)."""
    return budget if share is None else int(math.floor(share * budget + 1e-9))


def needed_budget(costs: tuple[int, ...], share: float | None) -> int:
    """Smallest budget (fen) at which a list with these costs is feasible."""
    total = sum(costs)
    if share is None or not costs:
        return total
    b = max(total, math.ceil(max(costs) / share) - 2)
    while share_cap(share, b) < max(costs):
        b += 1
    return b


def oracle(costs: list[int], benefits: list[int], low: int, high: int,
           share: float | None, count_max: int | None) -> list[tuple[int, float]]:
    """(start, value) of every step of f on [low, high] by enumerating all subsets."""
    lists = []
    for r in range(len(costs) + 1):
        if count_max is not None and r > count_max:
            break
        for combo in itertools.combinations(range(len(costs)), r):
            need = needed_budget(tuple(costs[i] for i in combo), share)
            lists.append((need, float(sum(benefits[i] for i in combo))))
    lists.sort()
    best = -math.inf
    steps: list[tuple[int, float]] = []
    for need, value in lists:
        if need > high:
            break
        if value > best:
            best = value
            if need <= low:
                steps = [(low, best)]
            elif steps and steps[-1][0] == need:
                steps[-1] = (need, best)
            else:
                steps.append((need, best))
    return steps


instances = st.integers(min_value=3, max_value=6).flatmap(lambda n: st.tuples(
    st.lists(st.integers(100, 4000), min_size=n, max_size=n),
    st.lists(st.integers(0, 40), min_size=n, max_size=n),
    st.sampled_from([None, 0.4, 0.75]),
    st.one_of(st.none(), st.integers(1, n)),
    st.integers(0, 100), st.integers(0, 100),
))


@settings(max_examples=30, deadline=None)
@given(instances)
def test_frontier_matches_brute_force(case: tuple) -> None:
    costs, benefits, share, count_max, a, b = case
    # start where at least one proposal is a candidate (the engine's own edge aside)
    cheapest = min(needed_budget((c,), share) for c in costs)
    total = sum(costs)
    low = cheapest + (total * a) // 200
    high = low + (total * b) // 100
    rules = PLAIN.model_copy(update={
        "max_project_share": share,
        "count": None if count_max is None else Count(max=count_max)})
    ps = make_set(costs, benefits)
    result = frontier(ps, rules, low=Decimal(low) / 100, high=Decimal(high) / 100,
                      solver=SOLVER, progress=False)
    got = [(int(bp * 100), float(v)) for bp, v in zip(result.points["budget"],
                                                     result.points["objective"], strict=True)]
    assert got == oracle(costs, benefits, low, high, share, count_max)
    assert result.proven
    # the frontier never falls as the budget grows
    values = list(result.points["objective"])
    assert values == sorted(values)
    assert len(set(values)) == len(values)


def _solve(ps: ProposalSet, rules: Rules, budget: Decimal) -> tuple[float, tuple[str, ...]]:
    s = select(ps, rules, budget=budget, solver=SOLVER, gap=0.0)
    return s.objective, s.selected


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 10_000))
def test_each_step_equals_an_independent_solve_under_breadth_rules(seed: int) -> None:
    """With group and count rules: every step's list is what `select` returns there, the
    budget one fen below a step is strictly worse, and the last budget of a step is not."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = 7
    costs = rng.integers(200, 3000, n).tolist()
    benefits = rng.integers(1, 50, n).tolist()
    domains = [("health", "skills", "rights")[k % 3] for k in range(n)]
    rules = PLAIN.model_copy(update={
        "groups": (GroupRule(column="domain", measure="count", min_total=Decimal(1)),),
        "count": Count(max=5)})
    ps = make_set(costs, benefits, domains)
    low = Decimal(sum(sorted(costs)[:3])) / 100
    high = Decimal(sum(costs)) / 100
    result = frontier(ps, rules, low=low, high=high, solver=SOLVER, progress=False)
    rows = result.points
    for k in range(len(rows)):
        budget, objective, ids = rows["budget"].iloc[k], rows["objective"].iloc[k], rows["ids"].iloc[k]
        if rows["status"].iloc[k] == "infeasible":
            continue
        assert _solve(ps, rules, budget) == (objective, ids)
        assert _solve(ps, rules, rows["budget_to"].iloc[k])[0] == objective
        if k > 0:
            below = budget - Decimal("0.01")
            try:
                assert _solve(ps, rules, below)[0] < objective
            except InfeasibleError:  # infeasible just below the first feasible step
                pass
        if k + 1 < len(rows):
            assert rows["marginal"].iloc[k + 1] == pytest.approx(
                (rows["objective"].iloc[k + 1] - objective)
                / float(rows["budget"].iloc[k + 1] - budget))


def test_chunked_walk_gives_the_same_frontier() -> None:
    ps = make_set([310, 520, 700, 1150, 1800, 2300], [4, 9, 10, 18, 25, 33])
    whole = frontier(ps, PLAIN, low="3.1", high=60, solver=SOLVER, progress=False)
    parts = frontier(ps, PLAIN, low="3.1", high=60, solver=SOLVER, chunks=5, progress=False)
    cols = ["budget", "budget_to", "objective", "cost_used", "ids", "added", "removed"]
    assert whole.points[cols].equals(parts.points[cols])
    assert len(whole.points) > 5
    assert parts.solves > whole.solves  # one extra solve per extra chunk, no more
    assert parts.solves <= whole.solves + 4


def test_infeasible_below_a_count_minimum() -> None:
    ps = make_set([300, 400, 500, 600], [3, 5, 6, 8])
    rules = PLAIN.model_copy(update={"count": Count(min=2)})
    result = frontier(ps, rules, low=3, high=20, solver=SOLVER, progress=False)
    first = result.points.iloc[0]
    assert first["status"] == "infeasible" and math.isnan(first["objective"])
    assert result.points["budget"].iloc[1] == Decimal("7")   # the two cheapest together
    assert math.isnan(result.value_at(6.99))
    assert result.value_at(7) == 8.0
    assert result.value_at("20") == float(result.points["objective"].iloc[-1])


def test_added_and_removed_follow_the_lists() -> None:
    ps = make_set([300, 400, 500], [3, 5, 9])
    rows = frontier(ps, PLAIN, low=3, high=12, solver=SOLVER, progress=False).points
    for k in range(1, len(rows)):
        before, after = set(rows["ids"].iloc[k - 1]), set(rows["ids"].iloc[k])
        assert set(rows["added"].iloc[k]) == after - before
        assert set(rows["removed"].iloc[k]) == before - after


@pytest.mark.parametrize(("low", "high"), [(10, 5), (-1, 5), ("1.001", 5), ("abc", 5)])
def test_bad_ranges_are_refused(low: object, high: object) -> None:
    ps = make_set([300, 400], [3, 5])
    with pytest.raises(InvalidInputError):
        frontier(ps, PLAIN, low=low, high=high, solver=SOLVER, progress=False)  # type: ignore[arg-type]


def test_high_defaults_to_the_rules_budget_and_needs_one() -> None:
    ps = make_set([300, 400], [3, 5])
    with pytest.raises(InvalidInputError, match="high must be given"):
        frontier(ps, PLAIN, low=3, progress=False)
    result = frontier(ps, PLAIN.with_budget(7), low=3, solver=SOLVER, progress=False)
    assert result.high == Decimal("7")
    assert list(result.points["objective"]) == [3.0, 5.0, 8.0]


class _Contradicting:
    """A stand-in model that finds a list at 5 yuan but none at 10 yuan."""

    def solve(self, *, budget: Decimal, **_: object) -> object:
        from types import SimpleNamespace

        from selector import InfeasibleError, Status

        if budget >= 10:
            raise InfeasibleError("no list")
        return SimpleNamespace(status=Status.OPTIMAL, objective=3.0, bound=3.0, gap=0.0,
                               total_cost=Decimal(5), selected=("P0",), beneficiaries=3.0,
                               seconds=0.0, tie_break=TieBreak.DONE)


def test_answers_that_contradict_monotonicity_raise() -> None:
    from selector import SolverError
    from selector.scenarios._common import SolveOptions
    from selector.scenarios.frontier import _Searcher

    search = _Searcher(_Contradicting(), None, SolveOptions())  # type: ignore[arg-type]
    assert search.solve(500).objective == 3.0
    with pytest.raises(SolverError, match="不单调"):
        search.solve(1000)
    later = _Searcher(_Contradicting(), None, SolveOptions())  # type: ignore[arg-type]
    assert not later.solve(1000).feasible
    with pytest.raises(SolverError, match="不单调"):
        later.solve(500)


def test_zero_chunks_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="chunks"):
        frontier(make_set([300, 400], [3, 5]), PLAIN, low=3, high=7, chunks=0, progress=False)
