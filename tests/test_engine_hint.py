"""A hinted list (a first incumbent for HiGHS) changes the time, never the answer."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.test_engine_oracle import proposal_sets, rule_sets

from selector import InfeasibleError, Proposal, ProposalSet, Rules
from selector.engine import Model
from selector.engine.backends import MatrixModel
from selector.engine.solve import _holds, complete_start, place_schedule, run
from selector.rules import Eligibility, Schedule


def _answer(model: Model, **kw: object) -> tuple[str, ...] | None:
    try:
        return model.solve(diagnose=False, **kw).selected  # type: ignore[arg-type]
    except InfeasibleError:
        return None


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_hint_never_changes_the_list(data: st.DataObject) -> None:
    """Any hint (the answer itself, a random list, ids that are no candidates) gives the
    same list as no hint, ties in all three tie-break stages included."""
    ps = data.draw(proposal_sets(max_n=9))
    rules = data.draw(rule_sets(ps, schedule=data.draw(st.booleans())))
    model = Model.build(ps, rules, solver="highs")
    cold = _answer(model)
    hints = [list(cold or ()), data.draw(st.lists(st.sampled_from(ps.ids), unique=True))]
    for hint in hints:
        assert _answer(model, hint=hint) == cold


def _ties() -> tuple[Model, tuple[str, ...]]:
    """Two lists tie in value (3), cost (2) and the sum of id positions (1 + 2 = 3)."""
    ps = ProposalSet.from_proposals([
        Proposal(id="P0", domain="skills", cost=Decimal(1), beneficiaries=2),
        Proposal(id="P1", domain="skills", cost=Decimal(1), beneficiaries=1),
        Proposal(id="P2", domain="skills", cost=Decimal(2), beneficiaries=3)])
    rules = Rules(budget=Decimal(2), eligibility=Eligibility(require_indicator=False),
                  completion=None, count={"max": 2})
    model = Model.build(ps, rules, solver="highs")
    return model, model.solve().selected


def test_full_tie_answer_is_the_cold_one_whatever_the_hint() -> None:
    model, cold = _ties()
    other = ("P2",) if cold == ("P0", "P1") else ("P0", "P1")
    sel = model.solve(hint=other)
    assert sel.selected == cold
    assert sel.objective == 3 and sel.total_cost == Decimal(2)


def test_complete_start_fills_the_other_columns_or_refuses() -> None:
    ps = ProposalSet.from_proposals([
        Proposal(id=f"P{k}", domain=d, cost=Decimal(c), beneficiaries=b,
                 district=dist, indicators=[{"name": "served", "target": 1.0}])
        for k, (d, c, b, dist) in enumerate([("health", 3, 10, "A"), ("skills", 4, 9, "B"),
                                             ("health", 5, 12, "A"), ("rights", 2, 4, "C")])])
    rules = Rules(budget=Decimal(9), distinct=({"column": "district", "min": 2},),
                  groups=({"column": "domain", "measure": "cost", "max_share": 0.6},),
                  completion=None)
    model = Model.build(ps, rules, solver="highs")
    form = model._form
    assert form is not None and form.shape[1] > form.n_x   # coverage columns to fill
    accept = model._acceptor(model._base, form)
    ok = complete_start(form, np.array([1.0, 1.0, 0.0, 0.0]), accept)   # 7 yuan, A and B
    assert ok is not None and accept(ok) and _holds(MatrixModel(
        form.objective, form.matrix, form.row_lower, form.row_upper, form.col_lower,
        form.col_upper, form.integer), ok)
    assert complete_start(form, np.array([1.0, 0.0, 1.0, 0.0]), accept) is None  # one district
    assert complete_start(form, np.array([1.0, 1.0, 1.0, 0.0]), accept) is None  # 12 yuan


@pytest.mark.parametrize("cap", [12, 6])   # 12 a month: all start in month 1; 6: staggered
def test_start_months_are_the_earliest_plan(cap: int) -> None:
    """``place_schedule`` (the earliest plan when it keeps the monthly rows, else a MIP)
    gives the least sum of start months a MIP over the start columns finds."""
    ps = ProposalSet.from_proposals([
        Proposal(id=f"P{k}", domain="skills", cost=Decimal(6), beneficiaries=5,
                 duration_months=2, earliest_start=1,
                 indicators=[{"name": "served", "target": 1.0}]) for k in range(3)])
    rules = Rules(budget=Decimal(18), schedule=Schedule(monthly_spend_cap=Decimal(cap)))
    model = Model.build(ps, rules, solver="highs")
    form = model._form
    assert form is not None and form.n_x == 3
    full = complete_start(form, np.ones(3), None)
    assert full is not None
    block = form.layout["start"]
    head = full[:block.start]
    got = place_schedule(form, head, "highs", None)
    assert got is not None
    months = form.start_pairs[:, 1].astype(float)
    width = block.stop - block.start
    shift = form.matrix[:, :block.start] @ head
    sub = MatrixModel(months, form.matrix[:, block].tocsr(), form.row_lower - shift,
                      form.row_upper - shift, np.zeros(width), np.ones(width),
                      np.ones(width, dtype=bool), maximize=False)
    best = run(sub, "highs", time_limit=None, rel_gap=0.0, abs_gap=0.4)
    assert best.status == "optimal"
    assert float(got @ months) == pytest.approx(best.objective)
    assert _holds(sub, got)
    if cap == 12:
        assert float(got @ months) == 3.0    # every project in month 1


def test_start_months_remembered_per_list_and_costs() -> None:
    """A list met again (same projects, same costs) reuses its plan; other costs re-plan.
    Each plan is still verified rule by rule (Model.solve)."""
    ps = ProposalSet.from_proposals([
        Proposal(id=f"P{k}", domain="skills", cost=Decimal(6), beneficiaries=5 + k,
                 duration_months=2, earliest_start=1,
                 indicators=[{"name": "served", "target": 1.0}]) for k in range(4)])
    rules = Rules(budget=Decimal(18), schedule=Schedule(monthly_spend_cap=Decimal(6)))
    model = Model.build(ps, rules, solver="highs")
    base = model.solve()
    assert base.selected == ("P1", "P2", "P3") and len(model._plans) == 1
    again = model.solve(budget=Decimal(19))          # same list, same costs: no new plan
    assert again.selected == base.selected and again.schedule == base.schedule
    assert len(model._plans) == 1
    fresh = Model.build(ps, rules, solver="highs").solve(budget=Decimal(19))
    assert fresh.schedule == again.schedule
    cheaper = model.solve(cost={"P3": Decimal(5)})   # other costs: planned anew
    assert cheaper.selected == base.selected and len(model._plans) == 2
