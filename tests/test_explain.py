"""Explanations: each kind of claim checked by an independent ``select`` (HiGHS) on
inputs or rules modified here, not through the explanation's own re-solve path."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import selector
from selector import InvalidInputError, Proposal, ProposalSet, Rules, screen
from selector import select as _select
from selector.engine import Model
from selector.explain import Explanation, explain, why_not
from selector.rules import Count, Force, GroupRule

OPEN = {"require_indicator": False}


def select(ps: ProposalSet, rules: Rules, **kwargs):
    return _select(ps, rules, solver="highs", **kwargs)


def make_set(items, domains=("health", "skills", "life")) -> ProposalSet:
    return ProposalSet.from_proposals(
        Proposal(id=f"P{k}", domain=domains[k % len(domains)], cost=c, beneficiaries=b,
                 duration_months=d)
        for k, (c, b, d) in enumerate(items))


def with_value(ps: ProposalSet, pid: str, *, cost=None, beneficiaries=None) -> ProposalSet:
    frame = ps.frame.copy()
    row = frame.index[frame["id"] == pid][0]
    if cost is not None:
        frame.loc[row, "cost_minor"] = int(Decimal(cost) * 100)
    if beneficiaries is not None:
        frame.loc[row, "beneficiaries"] = float(beneficiaries)
    return ps.replace_frame(frame)


@pytest.fixture(scope="module")
def capped():
    """Health is the best value but a 40 % cap on health money holds it back; one
    proposal cannot finish within the year."""
    ps = make_set([(50, 900, 6), (40, 500, 6), (30, 200, 6), (30, 260, 6), (20, 100, 6),
                   (45, 800, 6), (10, 5, 20)])
    rules = Rules(budget=120, eligibility=OPEN,
                  groups=(GroupRule(column="domain", max_share=0.4),))
    model = Model.build(ps, rules, solver="highs")
    return ps, rules, model, explain(model, lang="en")


def test_sections_partition_the_proposals(capped):
    ps, rules, model, ex = capped
    base = ex.selection
    assert {r.id for r in ex.selected} == set(base.selected)
    assert {r.id for r in ex.ineligible} == set(screen(ps, rules))
    assert len(ex.runners_up) + len(ex.selected) + len(ex.ineligible) == len(ps)
    assert {r.id: r.reasons for r in ex.ineligible} == screen(ps, rules)
    assert ex.why_not("P6").startswith("Ineligible: cannot finish by month 12")


def test_blocked_by_the_cap_on_health(capped):
    ps, rules, model, ex = capped
    base = ex.selection
    health_out = [r for r in ex.runners_up if r.id in ("P0", "P3")]
    assert health_out, "the cap must hold a health proposal back"
    for row in health_out:
        assert "groups[0].max[domain=health]" in row.blocked_by
        assert "40% of the money for domain Health" in ex.why_not(row.id)
        assert "领域“健康管理”资金占比40%的上限" in ex.why_not(row.id, lang="zh")
    # every blocking claim: the rules with that one rule lifted select it (independent)
    for row in ex.runners_up:
        for key in row.blocked_by:
            assert row.id in select(ps, ex.changes[key].rules).selected
    assert base.objective == select(ps, rules).objective


def test_runner_up_claims_hold_by_independent_solves(capped):
    ps, rules, model, ex = capped
    base = ex.selection
    for row in ex.runners_up:
        if row.entry_budget is not None:
            assert row.id in select(ps, rules, budget=row.entry_budget).selected
            assert row.id not in select(ps, rules, budget=row.entry_budget - 1).selected
        if row.cost_cut is not None:
            cut = row.cost - row.cost_cut
            assert row.id in select(with_value(ps, row.id, cost=max(cut, 0)), rules).selected
            assert row.id not in select(with_value(ps, row.id, cost=cut + 1), rules).selected
        if row.benefit_rise is not None:
            up = row.beneficiaries + row.benefit_rise
            assert row.id in select(with_value(ps, row.id, beneficiaries=up), rules).selected
            assert row.id not in select(with_value(ps, row.id, beneficiaries=up - 1),
                                        rules).selected
        forced = rules.model_copy(update={"force_in": (Force(id=row.id),)})
        if row.force_in_feasible:
            other = select(ps, forced)
            assert row.force_in_loss == pytest.approx(base.objective - other.objective)
            assert set(row.force_in_removed) == set(base.selected) - set(other.selected)


def test_selected_places_hold_by_independent_solves(capped):
    ps, rules, model, ex = capped
    base = ex.selection
    for row in ex.selected:
        other = select(ps, rules.model_copy(update={"force_out": (Force(id=row.id),)}))
        assert row.loss == pytest.approx(base.objective - other.objective)
        assert set(row.replaced_by) == set(other.selected) - set(base.selected)
        assert ex.why_not(row.id).startswith("Selected")


def test_budget_room_is_checked_by_independent_solves(capped):
    ps, rules, model, ex = capped
    base = ex.selection
    room = ex.rules.get("budget")
    assert room is not None and room.limit == Decimal(120)
    step = Decimal(2)                                   # 1 % of ¥120, rounded up
    assert room.gain == pytest.approx(select(ps, rules, budget=120 + step).objective
                                      - base.objective)
    assert room.first_gain_at is not None
    at = select(ps, rules, budget=120 + room.first_gain_at)
    before = select(ps, rules, budget=120 + room.first_gain_at - 1)
    assert at.objective - base.objective == pytest.approx(room.first_gain)
    assert before.objective == pytest.approx(base.objective)
    cap = ex.rules.get("groups[0].max[domain=health]")
    assert cap is not None and cap.limit == 0.4
    looser = Rules(budget=120, eligibility=OPEN, groups=(
        GroupRule(column="domain", values=("skills", "life"), max_share=0.4),
        GroupRule(column="domain", values=("health",), max_share=0.41)))
    assert cap.gain == pytest.approx(select(ps, looser).objective - base.objective)


def test_one_line_reason_is_the_same_whichever_ids_are_explained(capped):
    ps, rules, model, ex = capped
    for row in [*ex.runners_up, *ex.selected, *ex.ineligible]:
        alone = explain(model, [row.id], lang="en")
        assert alone.why_not(row.id) == ex.why_not(row.id)
        assert alone.why_not(row.id, lang="zh") == ex.why_not(row.id, lang="zh")
        assert len(alone.rules) == 0
    assert ex.reasons() == {r: why_not(ex, r) for r in ex.reasons()}


def test_exports_frames_and_json(capped):
    ps, rules, model, ex = capped
    data = json.loads(json.dumps(ex.to_dict(), ensure_ascii=False))
    assert data["currency"] == "CNY" and len(data["runners_up"]) == len(ex.runners_up)
    frame = ex.runners_up.to_frame()
    assert list(frame["id"]) == [r.id for r in ex.runners_up]
    assert "reason" in frame.columns and "entry_budget" in frame.columns
    assert set(ex.to_frame()["status"]) == {"selected", "not selected", "ineligible"}
    assert not ex.rules.to_frame().empty
    zh = explain(model, lang="zh")
    assert all("元" in r.reason or "受益" in r.reason for r in zh.runners_up)
    assert all(not any(c.isascii() and c.isalpha() for c in r.reason.replace(r.id, ""))
               for r in zh.ineligible), "a Chinese reason has no English words"
    assert selector.explain is explain and selector.Explanation is Explanation


def test_selection_input_and_unknown_ids(capped):
    ps, rules, model, ex = capped
    again = explain(select(ps, rules), ids=["P1"])
    assert again.selection.selected == ex.selection.selected
    with pytest.raises(InvalidInputError, match="nope"):
        explain(model, ["nope"])
    with pytest.raises(KeyError):
        again.why_not("P2")


def test_parallel_explanation_matches_sequential(capped):
    ps, rules, model, ex = capped
    with ThreadPoolExecutor(2) as pool:
        par = explain(model, executor=pool, lang="en")
    assert par.runners_up == ex.runners_up and par.selected == ex.selected


def test_count_cap_and_forced_pledge_are_named():
    ps = make_set([(10, 100, 3), (10, 90, 3), (10, 80, 3), (10, 70, 3)])
    rules = Rules(budget=100, eligibility=OPEN, count=Count(max=2),
                  force_in=(Force(id="P3", reason="pledged"),))
    ex = explain(Model.build(ps, rules, solver="highs"), lang="en")
    p1 = ex.runners_up.get("P1")
    assert p1 is not None
    assert "count.max" in p1.blocked_by and "force_in[P3]" in p1.blocked_by
    assert "the cap of 2 projects" in ex.why_not("P1")
    assert "forced in: pledged" in ex.why_not("P3")
    assert "no larger budget brings it in" in ex.why_not("P1")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(1, 40), st.integers(1, 500), st.just(3)),
                min_size=3, max_size=6), st.floats(0.3, 0.7))
def test_every_blocking_and_budget_claim_on_random_calls(items, frac):
    ps = make_set(items)
    budget = max(max(c for c, _, _ in items), int(sum(c for c, _, _ in items) * frac))
    rules = Rules(budget=budget, eligibility=OPEN,
                  groups=(GroupRule(column="domain", max_share=0.5),))
    ex = explain(Model.build(ps, rules, solver="highs"), rules=False, lang="en")
    for row in ex.runners_up:
        for key in row.blocked_by:
            assert row.id in select(ps, ex.changes[key].rules).selected
        if row.entry_budget is not None:
            assert row.id in select(ps, rules, budget=row.entry_budget).selected
            assert row.id not in select(ps, rules, budget=row.entry_budget - 1).selected
