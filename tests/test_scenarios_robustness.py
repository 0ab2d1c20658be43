"""Robustness: selection frequencies, reproducible draws, and the exact max-min list."""

from __future__ import annotations

import itertools
import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selector import InvalidInputError, Proposal, ProposalSet
from selector.engine import select
from selector.rules import Count, Eligibility, Rules
from selector.scenarios import Uncertainty, robust_select, robustness
from selector.scenarios.robustness import criterion
from selector.scenarios.uncertainty import scenario_seeds

PLAIN = Rules(completion=None, eligibility=Eligibility(require_indicator=False))
SOLVER = "highs"


def make_set(costs: list[int], benefits: list[float],
             spread: list[tuple[float, float]] | None = None) -> ProposalSet:
    return ProposalSet.from_proposals([
        Proposal(id=f"P{k}", domain="health", cost=Decimal(c) / 100, beneficiaries=b,
                 beneficiaries_low=None if spread is None else spread[k][0],
                 beneficiaries_high=None if spread is None else spread[k][1])
        for k, (c, b) in enumerate(zip(costs, benefits, strict=True))])


COSTS = [300, 420, 510, 640, 700, 880]
BENEFITS = [10.0, 14.0, 18.0, 20.0, 25.0, 30.0]


@settings(max_examples=10, deadline=None)
@given(st.lists(st.tuples(st.integers(100, 2000), st.integers(0, 50)), min_size=3, max_size=7),
       st.integers(20, 90))
def test_zero_uncertainty_gives_exact_core_and_exterior(items: list[tuple[int, int]],
                                                        pct: int) -> None:
    costs = [c for c, _ in items]
    benefits = [float(b) for _, b in items]
    ps = make_set(costs, benefits, [(b, b) for b in benefits])
    budget = Decimal(min(costs) + (sum(costs) * pct) // 100) / 100
    result = robustness(ps, PLAIN, Uncertainty(), samples=6, seed=4, budget=budget,
                        solver=SOLVER, workers=1, progress=False)
    chosen = set(select(ps, PLAIN, budget=budget, solver=SOLVER).selected)
    freq = result.frequencies.set_index("id")
    for i in ps.ids:
        assert freq.loc[i, "frequency"] == (1.0 if i in chosen else 0.0)
        assert freq.loc[i, "class"] == ("core" if i in chosen else "exterior")
    assert set(result.nominal) == chosen
    assert (result.scenarios["status"] == "optimal").all()


def test_frequencies_recount_the_scenario_lists_and_classes_follow() -> None:
    ps = make_set(COSTS, BENEFITS, [(b * 0.5, b * 1.6) for b in BENEFITS])
    result = robustness(ps, PLAIN, Uncertainty(cost_spread=0.2), samples=12, seed=1,
                        budget="20", solver=SOLVER, workers=1, progress=False)
    counts = {i: 0 for i in ps.ids}
    for ids in result.scenarios["ids"]:
        for i in ids:
            counts[i] += 1
    freq = result.frequencies.set_index("id")
    for i, c in counts.items():
        assert freq.loc[i, "selected"] == c
        assert freq.loc[i, "frequency"] == c / 12
        expected = "core" if c == 12 else ("exterior" if c == 0 else "borderline")
        assert freq.loc[i, "class"] == expected
    assert set(result.ids("core")) | set(result.ids("borderline")) | set(
        result.ids("exterior")) == set(ps.ids)
    assert result.ids("borderline")  # the ranges are wide enough to move the list
    with pytest.raises(InvalidInputError):
        result.ids("middle")


def test_same_seed_same_answer_whatever_the_chunking() -> None:
    ps = make_set(COSTS, BENEFITS, [(b * 0.5, b * 1.6) for b in BENEFITS])
    kwargs = dict(samples=10, seed=7, budget="20", solver=SOLVER, workers=1, progress=False)
    a = robustness(ps, PLAIN, Uncertainty(cost_spread=0.1), **kwargs)
    b = robustness(ps, PLAIN, Uncertainty(cost_spread=0.1), chunks=4, **kwargs)
    c = robustness(ps, PLAIN, Uncertainty(cost_spread=0.1), **{**kwargs, "seed": 8})
    cols = ["scenario", "status", "objective", "cost_used", "ids"]
    assert a.scenarios[cols].equals(b.scenarios[cols])
    assert a.frequencies.equals(b.frequencies)
    assert not a.scenarios[cols].equals(c.scenarios[cols])


def test_draws_stay_in_range_and_are_exact_when_the_range_is_a_point() -> None:
    ps = make_set(COSTS, BENEFITS, [(b, b) if k % 2 else (b - 5, b + 5)
                                    for k, b in enumerate(BENEFITS)])
    for dist in ("uniform", "triangular"):
        bounds = Uncertainty(distribution=dist, cost_spread=0.25).bounds(ps)
        for seed in scenario_seeds(3, 50):
            benefit, cost = bounds.sample(seed)
            assert np.all(benefit >= bounds.benefit[0]) and np.all(benefit <= bounds.benefit[2])
            assert np.array_equal(benefit[1::2], np.array(BENEFITS)[1::2])
            assert cost.dtype == np.int64
            assert np.all(np.abs(cost - np.array(COSTS)) <= np.ceil(np.array(COSTS) * 0.25))
    # the triangular mean sits at (low + mode + high) / 3
    bounds = Uncertainty().bounds(make_set([100], [10.0], [(4.0, 19.0)]))
    draws = [bounds.sample(s)[0][0] for s in scenario_seeds(0, 4000)]
    assert np.mean(draws) == pytest.approx((4 + 10 + 19) / 3, abs=0.25)


def test_bad_uncertainty_is_refused_with_every_problem() -> None:
    with pytest.raises(InvalidInputError) as err:
        Uncertainty(benefit_spread=-0.1, cost_spread=2.0)
    assert len(err.value.problems) == 2
    ps = make_set([100, 200], [5.0, 6.0], [(1.0, 9.0), (8.0, 2.0)])
    with pytest.raises(InvalidInputError, match="row 3"):
        Uncertainty().bounds(ps)
    with pytest.raises(InvalidInputError, match="budget"):
        robustness(make_set([100], [1.0]), PLAIN, workers=1, progress=False)


def _brute_criterion(costs: list[int], budget: int, weights: np.ndarray, pct: float,
                     count_max: int | None) -> float:
    best = -math.inf
    n = len(costs)
    for r in range(n + 1):
        if count_max is not None and r > count_max:
            break
        for combo in itertools.combinations(range(n), r):
            if sum(costs[i] for i in combo) > budget:
                continue
            x = np.zeros(n)
            x[list(combo)] = 1
            best = max(best, criterion(weights @ x, pct))
    return best


@settings(max_examples=10, deadline=None)
@given(st.lists(st.tuples(st.integers(100, 900), st.integers(1, 30), st.integers(0, 20)),
                min_size=3, max_size=7),
       st.sampled_from([0.0, 25.0]), st.integers(0, 1000), st.booleans())
def test_robust_list_matches_brute_force(items: list[tuple[int, int, int]], pct: float,
                                         seed: int, capped: bool) -> None:
    costs = [c for c, _, _ in items]
    benefits = [float(b) for _, b, _ in items]
    ps = make_set(costs, benefits, [(max(0.0, b - w), b + w)
                                    for (_, _, w), b in zip(items, benefits, strict=True)])
    rules = PLAIN.model_copy(update={"count": Count(max=3)}) if capped else PLAIN
    budget = sum(costs) // 2 + min(costs)
    rc = robust_select(ps, rules, samples=8, seed=seed, percentile=pct,
                       budget=Decimal(budget) / 100, solver=SOLVER)
    bounds = Uncertainty().bounds(ps)
    weights = np.vstack([bounds.sample(s)[0] for s in scenario_seeds(seed, 8)])
    assert rc.value == pytest.approx(
        _brute_criterion(costs, budget, weights, pct, 3 if capped else None))
    x = np.isin(ps.ids, rc.selection.selected).astype(float)
    assert np.allclose(rc.values, weights @ x)
    assert rc.value == pytest.approx(criterion(rc.values, pct))
    assert rc.value >= rc.nominal_value - 1e-9
    assert rc.selection.total_cost <= Decimal(budget) / 100
    assert rc.bound >= rc.value - 1e-6


def test_criterion_definition() -> None:
    values = np.array([7.0, 1.0, 4.0, 9.0, 3.0])
    assert criterion(values, 0) == 1.0           # the worst case
    assert criterion(values, 20) == 3.0          # reached in at least 4 of 5
    assert criterion(values, 50) == 4.0          # reached in at least 3 of 5 (ceil 2.5)
    with pytest.raises(InvalidInputError):
        criterion(values, 100)
