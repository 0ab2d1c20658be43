"""The routes chosen by model shape give THE answer (issue #18): the CP-SAT route with
its LP-fixed core and one lexicographic objective, the knapsack programme and the MILP's
three stages agree on value, cost and id ranks; the sifted LP is the LP."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.test_engine_oracle import proposal_sets, rule_sets

import selector.engine._sifting as sifting
import selector.engine.solve as solve_module
from selector import InfeasibleError, Model, load_rules, select, verify
from selector.datasets import generate_call
from selector.engine.backends import run_highs_lp
from selector.engine.solve import _as_model, _lagrangian
from selector.result import Route, Selection
from selector.testing import brute_force

RULES = Path(__file__).resolve().parents[1] / "examples" / "rules.toml"


def _key(sel: Selection) -> tuple[float, object, int]:
    """(value, cost, sum of id positions): the three stages' keys of a list."""
    ids = sorted(sel.proposals.ids)
    rank = {i: k + 1 for k, i in enumerate(ids)}
    return sel.objective, sel.total_cost, sum(rank[i] for i in sel.selected)


@pytest.fixture
def fix_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """The LP fixing and the guided core on models of any size."""
    monkeypatch.setattr(solve_module, "FIX_MIN", 1)
    monkeypatch.setattr(solve_module, "FIX_MAX_SHARE", 1.0)
    monkeypatch.setattr(solve_module, "CORE_EXTRA", 2)


@pytest.mark.usefixtures("fix_always")
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fixed_core_matches_brute_force(data: st.DataObject) -> None:
    """Every rule family on and off, the LP fixing forced on: the optimum is the oracle's."""
    ps = data.draw(proposal_sets(max_n=12, min_n=4))
    rules = data.draw(rule_sets(ps, schedule=False))
    best = brute_force(ps, rules)
    if best is None:
        with pytest.raises(InfeasibleError):
            select(ps, rules, solver="cbc")
        return
    sel = select(ps, rules, solver="cbc")
    assert sel.is_optimal and sel.objective == pytest.approx(best, abs=1e-6)
    assert verify(sel) == []


def _every_rule(n: int, seed: int) -> Model:
    rules = load_rules(RULES).model_copy(update={"force_in": (), "force_out": (),
                                                 "schedule": None})
    return Model.build(generate_call(n, seed=seed), rules)


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 10**6), n=st.sampled_from((150, 300)))
def test_cpsat_route_gives_the_three_stage_answer_of_the_milp(seed: int, n: int) -> None:
    """The default route (LP fixing, one exact lexicographic CP-SAT objective) and HiGHS's
    three separate stages on the whole model pick lists with the same value, cost and sum
    of id positions."""
    model = _every_rule(n, seed)
    try:
        fast = model.solve(solver="highs", diagnose=False)
    except InfeasibleError:
        return
    limit = solve_module.CPSAT_MAX
    try:
        solve_module.CPSAT_MAX = 0
        milp = model.solve(solver="highs", diagnose=False)
    finally:
        solve_module.CPSAT_MAX = limit
    assert fast.solver.route is Route.CPSAT and milp.solver.route is Route.MILP
    assert fast.tie_break.value == milp.tie_break.value == "done"
    assert _key(fast) == _key(milp)
    assert verify(fast) == []


def test_every_route_on_the_example_gives_one_list() -> None:
    """The bundled example (every rule family): CP-SAT route, CBC and HiGHS MILPs."""
    from selector import load_proposals

    root = RULES.parent
    model = Model.build(load_proposals(root / "proposals.csv"), load_rules(RULES))
    fast = model.solve(solver="cbc")
    limit = solve_module.CPSAT_MAX
    try:
        solve_module.CPSAT_MAX = 0
        cbc, highs = model.solve(solver="cbc"), model.solve(solver="highs")
    finally:
        solve_module.CPSAT_MAX = limit
    assert fast.selected == cbc.selected == highs.selected
    assert fast.solver == "cpsat" and cbc.solver == "cbc" and highs.solver == "highs"


def test_cpsat_holds_a_budget_in_fen_to_the_fen() -> None:
    """Rows past 10^9 fen: the bound stays the budget (a relative slack of 1e-9 had rounded
    1,101,615,939 "inward" to 1,101,615,940), and a coefficient with cents past 5·10^8 is
    not taken for a whole number."""
    import scipy.sparse as sp

    from selector.engine._cpsat import CpsatModel, whole
    from selector.engine.backends import MatrixModel

    m = MatrixModel(np.array([1.0, 1.0]),
                    sp.csr_matrix(np.array([[600_000_000.0, 501_615_940.0]])),
                    np.array([-np.inf]), np.array([1_101_615_939.0]), np.zeros(2), np.ones(2),
                    np.ones(2, dtype=bool))
    assert CpsatModel.of(m).bounds == [(None, 1_101_615_939)]
    ints, scale = whole(np.array([525_000_000.35]))
    assert scale == 100 and ints.tolist() == [52_500_000_035]


def test_example_at_a_budget_one_fen_below_a_list_matches_the_milp() -> None:
    """The frontier's probe of the bundled example at 11,016,159.39 yuan (a list costs one
    fen more): the CP-SAT route answers, with the MILP's list."""
    from decimal import Decimal

    from selector import load_proposals

    model = Model.build(load_proposals(RULES.parent / "proposals.csv"), load_rules(RULES))
    budget = Decimal("11016159.39")
    fast = model.solve(budget=budget, gap=0.0, diagnose=False)
    limit = solve_module.CPSAT_MAX
    try:
        solve_module.CPSAT_MAX = 0
        milp = model.solve(budget=budget, gap=0.0, diagnose=False, solver="highs")
    finally:
        solve_module.CPSAT_MAX = limit
    assert fast.solver.route is Route.CPSAT and milp.solver.route is Route.MILP
    assert fast.selected == milp.selected and fast.total_cost <= budget
    assert verify(fast) == []


@pytest.mark.parametrize("seed", [2026, 7])
def test_sifted_lp_is_the_lp(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Sifting (forced on at 3,000 proposals) reaches the LP optimum, and its duals give a
    Lagrangian bound that is the LP bound and no list beats."""
    monkeypatch.setattr(sifting, "working_size", lambda nrows: max(60, 2 * nrows))
    model = _every_rule(3000, seed)
    form = model._form
    assert form is not None
    mm = _as_model(form)
    whole = run_highs_lp(mm, None)
    sifted = sifting.sifted_lp(mm, form.n_x, None)
    assert "sifting" in sifted.raw_status
    assert sifted.objective == pytest.approx(whole.objective, rel=1e-9)
    bound, _ = _lagrangian(mm, sifted)
    assert bound == pytest.approx(whole.objective, rel=1e-7)
    assert bound >= whole.objective - 1e-6 * abs(whole.objective)   # never below the LP
    assert np.all(np.abs(sifted.x - np.clip(sifted.x, mm.col_lower, mm.col_upper)) < 1e-9)
