"""Scoring the runner-ups (pure, no database): properties and independent checks."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selector import InfeasibleError, Proposal, ProposalSet
from selector.datasets import generate_call
from selector.engine import Model, select
from selector.reserve import ScoringConfig, ScoringWeights, normalise, score_runner_ups
from selector.reserve.scoring import COMPONENTS
from selector.rules import Eligibility, Force, GroupRule, Rules

pytestmark = pytest.mark.filterwarnings("ignore:PULP_CBC_CMD is deprecated:DeprecationWarning")

OPEN = Eligibility(require_indicator=False)


def _call(costs: list[int], benefits: list[int], domains: list[str],
          experts: list[float | None]) -> ProposalSet:
    return ProposalSet.from_proposals([
        Proposal(id=f"P{k}", title=f"项目 {k}", domain=d, cost=c, beneficiaries=b,
                 expert_score=e)
        for k, (c, b, d, e) in enumerate(zip(costs, benefits, domains, experts, strict=True))])


def _check_ranking(ranked, base, model) -> None:  # type: ignore[no-untyped-def]
    frame = ranked.frame
    chosen = set(base.selected)
    eligible = {i for i, ok in zip(model.problem.ids, model.eligible, strict=True) if ok}
    assert set(frame["id"]) == eligible - chosen            # every runner-up, once
    assert not set(ranked.reserve) & chosen                 # reserve never overlaps
    assert sorted(frame["rank"]) == list(range(1, len(frame) + 1))   # ranks: a permutation
    w = ranked.weights
    total = sum(w.values())
    for c in COMPONENTS:
        assert frame[f"c_{c}"].between(0, 1).all()
    recomputed = sum(w[c] * frame[f"c_{c}"] for c in COMPONENTS) / total
    assert np.allclose(recomputed, frame["score"])          # the documented score
    assert (np.diff(frame["score"].to_numpy()) <= 1e-12).all()       # best first


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_ranking_properties_and_forced_in_loss(data: st.DataObject) -> None:
    n = data.draw(st.integers(3, 7))
    costs = data.draw(st.lists(st.integers(10, 90), min_size=n, max_size=n))
    benefits = data.draw(st.lists(st.integers(0, 200), min_size=n, max_size=n))
    domains = data.draw(st.lists(st.sampled_from(["health", "skills", "life"]),
                                 min_size=n, max_size=n))
    experts = data.draw(st.lists(st.one_of(st.none(), st.floats(40, 100)), min_size=n,
                                 max_size=n))
    budget = data.draw(st.integers(30, sum(costs)))
    share = data.draw(st.sampled_from([None, 0.6]))
    groups = () if share is None else (GroupRule(column="domain", max_share=share),)
    rules = Rules(budget=budget, eligibility=OPEN, completion=None, groups=groups)
    ps = _call(costs, benefits, domains, experts)
    model = Model.build(ps, rules)
    try:
        base = model.solve()
    except InfeasibleError:
        return
    top = data.draw(st.integers(1, n))
    ranked = score_runner_ups(model, base, ScoringConfig(
        top_n=top, weights=ScoringWeights(entry_budget=0)))
    _check_ranking(ranked, base, model)
    assert len(ranked.reserve) == min(top, len(ranked.frame))
    # the loss matches an independent solve with the proposal forced in by the rules
    for pid, loss in zip(ranked.frame["id"], ranked.frame["forced_in_loss"], strict=True):
        try:
            forced = select(ps, rules.model_copy(update={"force_in": (Force(id=pid),)}))
        except InfeasibleError:
            assert loss == np.inf
            continue
        assert loss == pytest.approx(base.objective - forced.objective)
    # value for money: the component is the min-max normalised beneficiaries per yuan
    frame = ranked.frame
    vfm = frame["beneficiaries"] / frame["cost"].astype(float)
    assert np.allclose(frame["c_value_for_money"], normalise(vfm.to_numpy()))


def test_entry_budget_is_a_verified_transition() -> None:
    ps = generate_call(24, seed=7)
    rules = Rules(budget=1_500_000, eligibility=OPEN, completion=None,
                  groups=(GroupRule(column="domain", max_share=0.5),))
    model = Model.build(ps, rules)
    base = model.solve()
    ranked = score_runner_ups(model, base, ScoringConfig(top_n=3, entry_budget_limit=2))
    _check_ranking(ranked, base, model)
    searched = ranked.frame[ranked.frame["searched"]]
    assert len(searched) == 2
    for pid, budget in zip(searched["id"], searched["entry_budget"], strict=True):
        if budget is None:
            assert pid not in select(ps, rules, budget=Decimal(3_000_000)).selected
            continue
        assert pid in select(ps, rules, budget=budget).selected
        assert pid not in select(ps, rules, budget=budget - 1).selected
    # those not searched get 0 on that component; the others are normalised over the searched
    rest = ranked.frame[~ranked.frame["searched"]]
    assert (rest["c_entry_budget"] == 0).all()
    assert searched["c_entry_budget"].max() == 1.0


def test_resolve_limit_re_solves_the_best_on_cheap_terms() -> None:
    ps = generate_call(40, seed=3)
    rules = Rules(budget=2_000_000, eligibility=OPEN, completion=None)
    model = Model.build(ps, rules)
    base = model.solve()
    cfg = ScoringConfig(top_n=None, threshold=0.5, resolve_limit=4,
                        weights=ScoringWeights(entry_budget=0, review=0))
    ranked = score_runner_ups(model, base, cfg)
    _check_ranking(ranked, base, model)
    frame = ranked.frame
    assert frame["resolved"].sum() == 4
    cheapest_resolved = frame.loc[frame["resolved"], "c_value_for_money"].min()
    assert (frame.loc[~frame["resolved"], "c_value_for_money"] <= cheapest_resolved).all()
    assert (frame.loc[~frame["resolved"], "c_forced_in_loss"] == 0).all()
    assert frame["forced_in_loss"].isna().sum() == len(frame) - 4
    assert list(ranked.reserve) == list(frame.loc[frame["score"] >= 0.5, "id"])


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="at least one scoring weight"):
        ScoringWeights(value_for_money=0, review=0, forced_in_loss=0, entry_budget=0)
    with pytest.raises(ValueError):
        ScoringConfig(top_n=0)
    with pytest.raises(ValueError):
        ScoringConfig(unknown=1)  # type: ignore[call-arg]


def test_missing_reviews_and_no_budget_drop_their_weights() -> None:
    ps = _call([10, 20, 30, 40], [5, 30, 10, 50], ["life"] * 4, [None] * 4)
    rules = Rules(eligibility=OPEN, completion=None, count={"max": 1})
    model = Model.build(ps, rules)
    base = model.solve()
    ranked = score_runner_ups(model, base)
    assert ranked.weights["review"] == 0 and ranked.weights["entry_budget"] == 0
    _check_ranking(ranked, base, model)


def test_forced_in_loss_is_a_value_only_re_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loss is the optimum's value with the runner-up forced in: one value-only re-solve
    each (no tie-break), equal to ``base.objective - model.solve(force_in=[pid]).objective``."""
    from selector import whatif

    ps = generate_call(16, seed=5)
    rules = Rules(budget=900_000, eligibility=OPEN, completion=None,
                  groups=(GroupRule(column="domain", max_share=0.5),))
    model = Model.build(ps, rules)
    base = model.solve()
    full_solves: list[tuple[str, ...]] = []
    solve = whatif.Resolver.solve

    def spy(self: whatif.Resolver, **kwargs: object) -> object:
        full_solves.append(tuple(kwargs.get("force_in", ())))  # type: ignore[arg-type]
        return solve(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(whatif.Resolver, "solve", spy)
    resolver = whatif.Resolver(model, base)
    ranked = score_runner_ups(model, base, ScoringConfig(weights=ScoringWeights(entry_budget=0)),
                              resolver=resolver)
    assert not any(full_solves)                      # no tie-broken forced-in solve
    frame = ranked.frame
    assert frame["resolved"].all() and len(frame) >= 5
    assert resolver.solves == len(frame)             # one re-solve per runner-up
    for pid, loss in zip(frame["id"], frame["forced_in_loss"], strict=True):
        try:
            forced = model.solve(force_in=[pid])
        except InfeasibleError:
            assert loss == np.inf
            continue
        assert loss == base.objective - forced.objective


@pytest.mark.parametrize("weights", [ScoringWeights(), ScoringWeights(entry_budget=0),
                                     ScoringWeights(forced_in_loss=0),
                                     ScoringWeights(forced_in_loss=0, entry_budget=0)])
def test_progress_counts_every_re_solved_runner_up(weights: ScoringWeights) -> None:
    """``progress(done, total)`` starts at 0 with the total fixed before any re-solve, then
    counts one step per forced-in loss and per entry budget, ending at the total."""
    ps = generate_call(40, seed=5)
    model = Model.build(ps, Rules(budget=2_000_000, eligibility=OPEN, completion=None))
    base = model.solve()
    calls: list[tuple[int, int]] = []
    cfg = ScoringConfig(top_n=3, resolve_limit=5, entry_budget_limit=2, weights=weights)
    frame = score_runner_ups(model, base, cfg,
                             progress=lambda done, total: calls.append((done, total))).frame
    steps = int(frame["resolved"].sum() + frame["searched"].sum())
    assert calls == [(k, steps) for k in range(steps + 1)]
    assert steps == (5 if weights.forced_in_loss else 0) + (2 if weights.entry_budget else 0)
