"""The greedy office baseline: caps kept, floors reported honestly, never above the optimum."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from selector import Proposal, ProposalSet, Rules, screen, select
from selector.baselines import greedy
from selector.datasets import generate_call
from selector.engine import RuleCheck
from selector.engine._knapsack import solve_knapsack
from selector.rules import (
    Count,
    Eligibility,
    GroupRule,
    Pool,
    PoolFilter,
    Relations,
    Resource,
)


def is_cap(check: RuleCheck) -> bool:
    """The checks a greedy pass keeps before funding (a cap, a relation, a pool's money)."""
    return (check.family in ("budget", "resources", "relations") or check.key == "count.max"
            or check.key.startswith("pools["))


def _plain_greedy(cost: np.ndarray, benefit: np.ndarray, eligible: np.ndarray,
                  budget: int) -> set[int]:
    """Textbook greedy by benefit per cost, written independently of the module."""
    ranked = sorted((i for i in range(len(cost)) if eligible[i] and benefit[i] > 0),
                    key=lambda i: (-benefit[i] / cost[i] if cost[i] else -np.inf, cost[i], i))
    left, out = budget, set()
    for i in ranked:
        if cost[i] <= left:
            out.add(i)
            left -= int(cost[i])
    return out


@settings(max_examples=30, deadline=None)
@given(st.integers(5, 60), st.integers(0, 10_000), st.floats(0.05, 0.8))
def test_budget_only_matches_textbook_greedy_and_stays_below_optimum(
        n: int, seed: int, share: float) -> None:
    call = generate_call(n, seed=seed)
    cost = call.frame["cost_minor"].to_numpy()
    budget = Decimal(int(cost.sum() * share)) / 100
    rules = Rules(budget=budget, relations=Relations(requires=False, excludes=False,
                                                     variants=False))
    g = greedy(call, rules)
    eligible = np.array([i not in g.ineligible for i in call.ids])
    expected = _plain_greedy(cost, call.frame["beneficiaries"].to_numpy(), eligible,
                             int(budget * 100))
    assert {call.ids.index(i) for i in g.selected} == expected
    assert g.feasible and g.total_cost <= budget
    assert g.ineligible == screen(call, rules)
    best = solve_knapsack(cost[eligible], call.frame["beneficiaries"].to_numpy()[eligible],
                          int(budget * 100), gap=0.0)
    assert g.objective <= best.objective + 1e-6


def _full_rules(call: ProposalSet) -> Rules:
    total = Decimal(int(call.frame["cost_minor"].sum())) / 100
    present = set(call.frame["domain"])
    social = tuple(d for d in ("hardship", "migrant", "life") if d in present)
    groups = {g for t in call.frame["target_groups"] for g in t}
    group = sorted(groups)[0]
    return Rules(
        budget=(total * Decimal("0.35")).quantize(Decimal(1)),
        pools=(Pool(name="fiscal", amount=(total * Decimal("0.25")).quantize(Decimal(1))),
               Pool(name="charity", amount=(total * Decimal("0.10")).quantize(Decimal(1)),
                    only=PoolFilter(column="domain", values=social) if social else None)),
        resources=(Resource(name="staff", column="staff_months", capacity=60),),
        groups=(GroupRule(column="domain", max_share=0.3),
                GroupRule(column="domain", min_total=Decimal(1), measure="count"),
                GroupRule(column="target_groups", values=(group,),
                          max_total=Decimal(2), measure="count")),
        count=Count(max=12),
        eligibility=Eligibility(min_expert_score=55),
    )


@settings(max_examples=20, deadline=None)
@given(st.integers(20, 80), st.integers(0, 10_000))
def test_caps_are_never_broken_only_floors_and_final_shares_are_reported(
        n: int, seed: int) -> None:
    call = generate_call(n, seed=seed)
    rules = _full_rules(call)
    g = greedy(call, rules)
    assert not set(g.selected) & set(g.ineligible)
    assert not [v for v in g.violations if is_cap(v)], g.violations
    frame = call.frame.set_index("id")
    assert frame.loc[list(g.selected), "staff_months"].fillna(0).sum() <= 60 + 1e-9
    assert len(g.selected) <= 12
    # every pool pays only what it has and only for what it may fund
    paid = {p.name: Decimal(0) for p in rules.pools}
    for i, pays in g.pool_payments.items():
        assert sum(pays.values()) == Decimal(int(frame.loc[i, "cost_minor"])) / 100
        for pool, amount in pays.items():
            paid[pool] += amount
            if pool == "charity":
                assert frame.loc[i, "domain"] in ("hardship", "migrant", "life")
    assert all(paid[p.name] <= p.amount for p in rules.pools)


def test_unmet_floor_is_reported_not_hidden() -> None:
    def prop(i: int, domain: str, cost: int, ben: float) -> Proposal:
        return Proposal(id=f"P{i}", domain=domain, cost=cost, beneficiaries=ben,
                        indicators=[{"name": "served", "target": ben}])

    # the cheap, high-ratio projects use the money before the culture floor is met
    call = ProposalSet.from_proposals(
        [prop(1, "health", 50, 500), prop(2, "skills", 50, 450), prop(3, "culture", 60, 100)])
    rules = Rules(budget=100, groups=(GroupRule(column="domain", values=("culture",),
                                                min_total=Decimal(1), measure="count"),))
    g = greedy(call, rules)
    assert g.selected == ("P1", "P2")
    assert not g.feasible
    assert [(v.key, v.label) for v in g.violations] == [
        ("groups[0].min_total[domain=culture]", "culture")]
    assert "culture" in g.violations[0].render("en")
    best = select(call, rules, solver="highs")
    assert "P3" in best.selected


def test_relations_are_kept() -> None:
    def prop(i: int, cost: int, ben: float, **kw: object) -> Proposal:
        return Proposal(id=f"P{i}", domain="health", cost=cost, beneficiaries=ben,
                        indicators=[{"name": "served", "target": ben}], **kw)  # type: ignore[arg-type]

    call = ProposalSet.from_proposals([
        prop(1, 10, 100, excludes=("P2",)),
        prop(2, 10, 90),
        prop(3, 10, 80, variant_group="V"),
        prop(4, 20, 150, variant_group="V"),
        prop(5, 10, 70, requires=("P6",)),
        prop(6, 10, 10),
    ])
    g = greedy(call, Rules(budget=1000))
    assert g.feasible, g.violations
    assert "P2" not in g.selected and "P1" in g.selected
    assert ("P3" in g.selected) != ("P4" in g.selected)
    # P5 ranks before its prerequisite P6, so an office skips it in one pass
    assert "P6" in g.selected and "P5" not in g.selected
