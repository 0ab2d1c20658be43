"""Scenario comparison: totals re-add, changes are the set differences, errors are clear."""

from __future__ import annotations

from decimal import Decimal

import pytest

from selector import InvalidInputError, Proposal, ProposalSet
from selector.engine import select
from selector.rules import Count, Eligibility, GroupRule, Rules
from selector.scenarios import Scenario, compare

PLAIN = Rules(completion=None, eligibility=Eligibility(require_indicator=False))
SOLVER = "highs"
DOMAINS = ("health", "skills", "rights", "culture")
GROUPS = (("migrant",), ("platform", "migrant"), ("female",), ())


def make_set(n: int = 10) -> ProposalSet:
    return ProposalSet.from_proposals([
        Proposal(id=f"P{k:02d}", title=f"项目{k}", domain=DOMAINS[k % 4],
                 cost=Decimal(200 + 37 * k), beneficiaries=float(10 + (k * 7) % 23),
                 target_groups=GROUPS[k % 4])
        for k in range(n)])


BREADTH = PLAIN.model_copy(update={
    "groups": (GroupRule(column="domain", measure="count", min_total=Decimal(1)),),
    "count": Count(max=5)})


@pytest.fixture(scope="module")
def comparison():
    ps = make_set()
    return compare([Scenario("base", budget=1500), Scenario("more money", budget=2500),
                    Scenario("breadth", rules=BREADTH, budget=1500)],
                   proposals=ps, rules=PLAIN, solver=SOLVER, progress=False), ps


def test_each_scenario_is_the_independent_solve(comparison) -> None:
    comp, ps = comparison
    for name, rules, budget in (("base", PLAIN, 1500), ("more money", PLAIN, 2500),
                                ("breadth", BREADTH, 1500)):
        s = select(ps, rules, budget=budget, solver=SOLVER)
        assert comp.selections[name].selected == s.selected
        row = comp.totals.set_index("scenario").loc[name]
        assert (row["objective"], row["cost_used"], row["count"]) == (
            s.objective, s.total_cost, s.count)
        assert row["budget"] == Decimal(budget)


def test_group_tables_re_add_to_the_totals(comparison) -> None:
    comp, ps = comparison
    totals = comp.totals.set_index("scenario")
    for name, s in comp.selections.items():
        dom = comp.by_domain[comp.by_domain["scenario"] == name]
        assert sum(dom["cost"]) == totals.loc[name, "cost_used"]
        assert dom["count"].sum() == totals.loc[name, "count"]
        assert dom["beneficiaries"].sum() == pytest.approx(totals.loc[name, "beneficiaries"])
        tg = comp.by_target_group[comp.by_target_group["scenario"] == name]
        expected = sum(len(ps[i].target_groups) for i in s.selected)
        assert tg["count"].sum() == expected  # a project counts once per target group
    wide = comp.pivot("domain", "count")
    assert list(wide.columns) == ["base", "more money", "breadth"]
    assert (wide["breadth"] >= 1).all() and set(wide.index) <= set(DOMAINS)


def test_changes_are_the_set_differences_with_the_baseline(comparison) -> None:
    comp, _ = comparison
    base = set(comp.selections["base"].selected)
    for name in ("more money", "breadth"):
        mine = comp.changes[comp.changes["scenario"] == name]
        now = set(comp.selections[name].selected)
        assert set(mine.loc[mine["change"] == "enters", "id"]) == now - base
        assert set(mine.loc[mine["change"] == "leaves", "id"]) == base - now
        row = comp.totals.set_index("scenario").loc[name]
        assert (row["entered"], row["left"]) == (len(now - base), len(base - now))
    assert comp.baseline == "base"
    assert not (comp.changes["scenario"] == "base").any()


def test_infeasible_scenario_is_reported_in_words() -> None:
    ps = make_set(4)
    rules = PLAIN.model_copy(update={"count": Count(min=4)})
    comp = compare([Scenario("ok", budget=3000), Scenario("tight", rules=rules, budget=900)],
                   proposals=ps, rules=PLAIN, solver=SOLVER, progress=False)
    assert "tight" not in comp.selections
    assert comp.totals.set_index("scenario").loc["tight", "status"] == "infeasible"
    assert comp.messages["tight"]
    assert comp.changes.empty


def test_scenarios_with_their_own_proposals() -> None:
    small, large = make_set(5), make_set(8)
    comp = compare([Scenario("five", proposals=small), Scenario("eight", proposals=large)],
                   rules=PLAIN.with_budget(1200), solver=SOLVER, progress=False,
                   baseline="eight")
    assert comp.baseline == "eight"
    assert set(comp.selections["five"].selected) <= set(small.ids)


@pytest.mark.parametrize("scenarios, kwargs, message", [
    ([], {}, "at least one"),
    ([Scenario("a"), Scenario("a")], {}, "unique"),
    ([Scenario("a")], {"baseline": "b"}, "baseline"),
    ([Scenario("a", budget=10)], {"proposals": None}, "no proposals"),
])
def test_bad_comparisons_are_refused(scenarios, kwargs, message) -> None:
    args = {"proposals": make_set(3), **kwargs}
    with pytest.raises(InvalidInputError, match=message):
        compare(scenarios, rules=PLAIN, progress=False, **args)
