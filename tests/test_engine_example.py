"""The bundled example under its rules file, Model re-solves, and diagnoses in words."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from selector import (
    InfeasibleError,
    Model,
    Proposal,
    ProposalSet,
    Rules,
    load_rules,
    screen,
    select,
    verify,
)
from selector.engine import RulesConflict
from selector.engine.screening import pool_eligibility
from selector.problem import Problem
from selector.rules import Count, Eligibility, Force, GroupRule
from selector.testing import brute_force

from .conftest import EXAMPLES


@pytest.fixture(scope="module")
def example() -> tuple[ProposalSet, Rules]:
    from selector.io import load_proposals

    return load_proposals(EXAMPLES / "proposals.csv"), load_rules(EXAMPLES / "rules.toml")


@pytest.fixture(scope="module")
def solved(example: tuple[ProposalSet, Rules]) -> dict[str, object]:
    ps, rules = example
    return {"highs": select(ps, rules, solver="highs"), "cbc": select(ps, rules, solver="cbc"),
            "again": select(ps, rules, solver="highs")}


def test_example_uses_every_rule_family(example: tuple[ProposalSet, Rules]) -> None:
    _, rules = example
    assert rules.budget and len(rules.pools) == 2 and rules.resources and rules.distinct
    assert rules.max_project_share and rules.count and rules.force_in and rules.force_out
    assert rules.schedule and rules.completion
    assert {g.measure for g in rules.groups} == {"cost", "count"}
    assert any(g.max_share for g in rules.groups) and any(g.combine for g in rules.groups)
    assert any(p.only for p in rules.pools)
    e = rules.eligibility
    assert e.require_indicator and e.min_expert_score and e.min_completion_probability


def test_example_proven_same_list_both_solvers(solved: dict[str, object]) -> None:
    a, b, c = solved["highs"], solved["cbc"], solved["again"]
    assert a.is_optimal and b.is_optimal  # type: ignore[attr-defined]
    assert a.selected == b.selected == c.selected  # type: ignore[attr-defined]
    assert a.objective == b.objective  # type: ignore[attr-defined]
    assert a.gap == 0.0 and a.bound == a.objective  # type: ignore[attr-defined]
    for r in (a, b):
        assert verify(r) == []  # type: ignore[arg-type]


def test_example_result_holds_the_rules(example: tuple[ProposalSet, Rules],
                                        solved: dict[str, object]) -> None:
    ps, rules = example
    r = solved["highs"]
    sel = set(r.selected)  # type: ignore[attr-defined]
    assert {f.id for f in rules.force_in} <= sel
    assert not {f.id for f in rules.force_out} & sel
    assert r.forced_out == {f.id: f.reason for f in rules.force_out}  # type: ignore[attr-defined]
    frame = ps.frame.set_index("id")
    cost = {i: int(frame.at[i, "cost_minor"]) for i in sel}
    # pools pay every fen of every project, only where allowed, within their amounts
    allowed = pool_eligibility(Problem(ps), rules.pools)
    index = Problem(ps).index
    names = [p.name for p in rules.pools]
    paid = dict.fromkeys(names, Decimal(0))
    for i, pays in r.pool_payments.items():  # type: ignore[attr-defined]
        assert sum(pays.values()) * 100 == cost[i]
        for pool, amount in pays.items():
            assert allowed[index[i], names.index(pool)]
            paid[pool] += amount
    for p in rules.pools:
        assert paid[p.name] <= p.amount
    assert r.total_cost * 100 == sum(cost.values())  # type: ignore[attr-defined]
    assert r.total_cost <= rules.budget  # type: ignore[attr-defined, operator]
    assert set(r.schedule) == sel  # type: ignore[attr-defined]
    # every screened-out proposal is listed with its reasons, and none is selected
    reasons = screen(ps, rules)
    assert reasons == r.ineligible  # type: ignore[attr-defined]
    assert any("cannot finish by month 12" in t for rs in reasons.values() for t in rs)
    assert not sel & set(reasons)
    assert r.binding  # type: ignore[attr-defined]


def test_model_resolves_without_mutation(example: tuple[ProposalSet, Rules],
                                         solved: dict[str, object]) -> None:
    ps, rules = example
    rules = rules.model_copy(update={"schedule": None})
    model = Model.build(ps, rules, solver="highs")
    base = model.solve()
    poorer = model.solve(budget=Decimal("6000000"))
    assert poorer.objective <= base.objective
    assert poorer.total_cost <= Decimal("6000000")
    out = base.selected[3]
    without = model.solve(force_out=[out])
    assert out not in without.selected and without.objective <= base.objective
    cand = [i for i in ps.ids if model.eligible[ps.ids.index(i)] and i not in base.selected]
    with_one = model.solve(force_in=[cand[0]])
    assert cand[0] in with_one.selected and with_one.objective <= base.objective
    boosted = model.solve(beneficiaries={cand[0]: 1e6})
    assert cand[0] in boosted.selected
    cheaper = model.solve(cost={base.selected[0]: Decimal("0")})
    assert cheaper.objective >= base.objective
    assert model.solve().selected == base.selected   # nothing above changed the model


def test_optimum_never_falls_when_budget_grows(example: tuple[ProposalSet, Rules]) -> None:
    ps, rules = example
    model = Model.build(ps, rules.model_copy(update={"schedule": None, "count": None,
                                                     "force_in": ()}), solver="highs")
    values = []
    for budget in (3_000_000, 5_000_000, 8_000_000, 12_000_000):
        values.append(model.solve(budget=budget).objective)
    assert values == sorted(values)


def _proposals(domains: list[str], cost: int = 10) -> ProposalSet:
    return ProposalSet.from_proposals([
        Proposal(id=f"P{k}", domain=d, cost=cost, beneficiaries=10 + k,
                 indicators=[{"name": "served", "target": 1}])
        for k, d in enumerate(domains)])


def test_diagnosis_names_the_conflict_in_words() -> None:
    domains = ["rights", "skills", "health", "culture", "hardship", "migrant", "life"]
    ps = _proposals(domains * 2)
    rules = Rules(budget=1000, count=Count(max=5),
                  groups=(GroupRule(name="every domain gets a project", column="domain",
                                    measure="count", min_total=1),
                          GroupRule(column="domain", max_share=0.5)))
    with pytest.raises(InfeasibleError) as err:
        select(ps, rules, solver="highs")
    text = str(err.value)
    assert text.startswith("'every domain gets a project' and 'at most 5 projects' cannot "
                           "both hold")
    assert "there are 7 domains" in text
    assert set(err.value.conflict) == {"groups[0]", "count.max"}
    assert brute_force(ps, rules) is None


def test_diagnosis_budget_and_forced_in() -> None:
    ps = _proposals(["health", "skills", "rights"], cost=60)
    rules = Rules(budget=100, force_in=(Force(id="P0", reason="pledged"),
                                        Force(id="P1", reason="pledged")))
    with pytest.raises(InfeasibleError) as err:
        select(ps, rules, solver="cbc")
    assert set(err.value.conflict) == {"budget", "force_in[P0]", "force_in[P1]"}
    assert "budget of ¥100" in str(err.value)   # money through the one formatter
    assert isinstance(err.value, RulesConflict)
    assert err.value.render("zh").startswith("“预算100元”、“P0被指定入选”与“P1被指定入选”无法同时满足")


def test_forcing_in_a_screened_out_proposal_says_why() -> None:
    ps = ProposalSet.from_proposals([
        Proposal(id="A", domain="health", cost=10, beneficiaries=5, expert_score=40,
                 indicators=[{"name": "served", "target": 1}])])
    rules = Rules(budget=100, eligibility=Eligibility(min_expert_score=60),
                  force_in=(Force(id="A"),))
    with pytest.raises(InfeasibleError, match="expert score 40 is below the minimum 60"):
        select(ps, rules)


def test_tie_break_prefers_fewer_yuan_then_earlier_ids() -> None:
    ps = ProposalSet.from_proposals([
        Proposal(id=i, domain="health", cost=c, beneficiaries=b,
                 indicators=[{"name": "served", "target": 1}])
        for i, c, b in [("D", 50, 10), ("C", 40, 10), ("B", 40, 10), ("A", 60, 10)]])
    for solver in ("highs", "cbc"):
        r = select(ps, Rules(budget=100, count=Count(max=1)), solver=solver)  # type: ignore[arg-type]
        assert r.selected == ("B",)  # cheapest 40, then the smaller id of B and C


def test_empty_candidates_and_zero_budget() -> None:
    ps = _proposals(["health"], cost=10)
    r = select(ps, Rules(budget=0), solver="highs")
    assert r.selected == () and r.is_optimal and r.ineligible


def test_large_budget_only_uses_a_proven_path() -> None:
    """Budget only at 6,000 proposals: the core knapsack solver when it is installed."""
    import importlib.util

    from selector.datasets import generate_call
    from selector.rules import Relations

    ps = generate_call(6000, seed=3)
    rules = Rules(eligibility=Eligibility(require_indicator=False), completion=None,
                  relations=Relations(requires=False, excludes=False, variants=False))
    budget = Decimal(int(ps.frame["cost_minor"].sum()) // 100 // 5)
    r = select(ps, rules, budget=budget, solver="highs")
    assert r.is_optimal and verify(r) == []
    chosen = ps.frame["id"].isin(r.selected).to_numpy()
    assert int(ps.frame["cost_minor"].to_numpy()[chosen].sum()) <= int(budget) * 100
    assert r.objective == pytest.approx(float(
        ps.frame["beneficiaries"].to_numpy()[chosen].sum()))
    assert np.isfinite(r.bound) and r.bound >= r.objective
    if importlib.util.find_spec("selector.engine._knapsack") is not None:
        assert r.solver == "knapsack"


def test_screening_lists_every_reason_in_words() -> None:
    from selector.rules import Completion, Pool

    ps = ProposalSet.from_proposals([
        Proposal(id="A", domain="health", cost=500, beneficiaries=5, expert_score=40,
                 earliest_start=10, duration_months=6, completion_probability=0.3,
                 pools=("charity",), requires=("Z",)),
        Proposal(id="B", domain="health", cost=10, beneficiaries=5, requires=("A",),
                 indicators=[{"name": "served", "target": 1}]),
        Proposal(id="C", domain="health", cost=10, beneficiaries=5,
                 indicators=[{"name": "served", "target": 1}])])
    rules = Rules(budget=100, pools=(Pool(name="fiscal", amount=100),),
                  eligibility=Eligibility(min_expert_score=60, min_completion_probability=0.5),
                  completion=Completion(deadline_month=12), force_out=(Force(id="C",
                                                                           reason="duplicate"),))
    reasons = screen(ps, rules)
    assert set(reasons) == {"A", "B", "C"}
    a = " | ".join(reasons["A"])
    for words in ("cannot finish by month 12", "no indicator with a target value",
                  "expert score 40 is below the minimum 60",
                  "completion probability 0.3 is below the minimum 0.5",
                  "no funding pool may pay for it", "costs more than the whole budget",
                  "requires Z, which is not among the proposals"):
        assert words in a
    assert reasons["B"] == ("no expert score (at least 60 required)",
                            "requires A, which is not a candidate")
    assert reasons["C"] == ("no expert score (at least 60 required)", "forced out: duplicate")
