"""Stage 1 of large whole-number models without the tie-break: CP-SAT on the cores the
LP's reduced costs leave free, round after round, until the Lagrangian bound on the
columns it fixed proves the list (``_reduced_rounds``; issue #18, 10,000 proposals).

The rounds run above ``TIE_BREAK_MAX`` candidates; the tests lower that limit (and the
first core's size) so that small calls, whose optimum the brute-force oracle or a plain
MILP proves, take them, over several rounds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tests.test_engine_oracle import proposal_sets, rule_sets

import selector.engine.solve as solve_module
from selector import Model, load_rules, select, verify
from selector.datasets import generate_call
from selector.engine.backends import MatrixModel, run_highs_lp
from selector.engine.solve import _as_model, _lagrangian, _lagrangian_error
from selector.result import Backend, FallbackReason, Route
from selector.rules import Objective
from selector.testing import brute_force

RULES = Path(__file__).resolve().parents[1] / "examples" / "rules.toml"


@pytest.fixture
def rounds_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every model is "large" (no tie-break), the first core frees one nonbasic column
    (so the threshold, doubling from a tiny reduced cost, needs more rounds than the
    default guard allows)."""
    monkeypatch.setattr(solve_module, "TIE_BREAK_MAX", 0)
    monkeypatch.setattr(solve_module, "CPSAT_MAX", 0)   # solver="cpsat" takes them too
    monkeypatch.setattr(solve_module, "REDUCED_FIRST", 1)
    monkeypatch.setattr(solve_module, "REDUCED_ROUNDS", 40)


@pytest.fixture
def no_lp_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the LP-guided core (which may prove small models on its own): the rounds
    start without a list and solve the LP themselves."""
    monkeypatch.setattr(solve_module, "_lp_core", lambda call: None)


def _every_rule(n: int, seed: int) -> Model:
    rules = load_rules(RULES).model_copy(update={"force_in": (), "force_out": (),
                                                 "schedule": None})
    return Model.build(generate_call(n, seed=seed), rules)


def _milp_optimum(model: Model) -> float:
    """The whole model's proven optimum by CBC, the rounds turned off (gap 0: no core)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(solve_module, "_reduced_rounds", lambda call, hint: None)
        sel = model.solve(solver="cbc", gap=0.0, diagnose=False)
    assert sel.status.value == "optimal" and sel.solver.route is Route.MILP
    return sel.objective


@pytest.mark.usefixtures("rounds_always", "no_lp_core")
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), solver=st.sampled_from(("cbc", "highs", "cpsat")))
def test_rounds_match_brute_force(data: st.DataObject, solver: str) -> None:
    """Every rule family on and off, beneficiaries counted (whole numbers: the rounds
    run; about 4 examples in 10 end in them, the others are empty, budget-only or proven
    by CP-SAT on the whole small model): the optimum and its bound are the oracle's."""
    ps = data.draw(proposal_sets(max_n=12, min_n=4))
    rules = data.draw(rule_sets(ps, schedule=False))
    rules = rules.model_copy(update={"objective": Objective(kind="beneficiaries")})
    best = brute_force(ps, rules)
    assume(best is not None)   # (most drawn rule sets conflict; those are tested elsewhere)
    sel = select(ps, rules, solver=solver, gap=0.0)
    assert sel.is_optimal and sel.objective == best
    assert sel.bound == best   # proven exactly: gap 0 on whole numbers
    assert verify(sel) == []
    if "reduced costs above" in sel.solver.raw_status:
        assert sel.solver.route is Route.CPSAT and sel.solver.backend is Backend.CPSAT


@pytest.mark.usefixtures("rounds_always")
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 10**6), n=st.sampled_from((300, 600)),
       gap=st.sampled_from((0.0, 1e-6, 1e-4)), hinted=st.booleans())
def test_rounds_prove_the_whole_models_optimum(seed: int, n: int, gap: float,
                                               hinted: bool) -> None:
    """Calls with every rule: the list the rounds prove is within the gap of the MILP's
    proven optimum, and the bound they report is a real bound."""
    model = _every_rule(n, seed)
    with pytest.MonkeyPatch.context() as patch:
        if not hinted:
            patch.setattr(solve_module, "_lp_core", lambda call: None)
        sel = model.solve(solver="cbc", gap=gap, diagnose=False)
    if sel.status.value == "infeasible":
        return
    best = _milp_optimum(model)
    assert verify(sel) == []
    assert sel.status.value == "optimal"
    assert sel.objective <= best <= sel.bound
    assert best - sel.objective <= max(0.4, gap * best)
    if sel.solver.route is not Route.LP_CORE:   # (which may prove a wide gap on its own)
        assert sel.solver.route is Route.CPSAT
        assert "reduced costs above" in sel.solver.raw_status


def test_rounds_answer_a_large_call_in_more_than_one_round(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The first core (one nonbasic column free) does not prove the 600-proposal call; a
    later, larger one does, hinted with the list before."""
    monkeypatch.setattr(solve_module, "TIE_BREAK_MAX", 0)
    monkeypatch.setattr(solve_module, "REDUCED_FIRST", 1)
    monkeypatch.setattr(solve_module, "REDUCED_ROUNDS", 40)
    model = _every_rule(600, 2026)
    cores: list[int] = []
    stage = solve_module._stage

    def counted(call, m, how):   # the free columns of each CP-SAT round
        if how.backend is Backend.CPSAT and how.space is not None:
            cores.append(int(how.space.free.sum()))
        return stage(call, m, how)

    monkeypatch.setattr(solve_module, "_stage", counted)
    sel = model.solve(solver="cbc", gap=1e-9, diagnose=False)
    monkeypatch.setattr(solve_module, "_stage", stage)
    assert sel.solver.route is Route.CPSAT and sel.status.value == "optimal"
    assert len(cores) >= 2 and cores == sorted(cores) and cores[0] < cores[-1]
    assert sel.objective == _milp_optimum(model)
    assert verify(sel) == []


def test_a_round_stopped_at_its_work_limit_hands_over_to_the_milp(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No work for CP-SAT: its list (if any) is kept to beat, the fallback recorded, and
    the MILP proves the optimum."""
    monkeypatch.setattr(solve_module, "TIE_BREAK_MAX", 0)
    monkeypatch.setattr(solve_module, "REDUCED_WORK", 1e-9)
    model = _every_rule(600, 2026)
    sel = model.solve(solver="cbc", gap=1e-9, diagnose=False)
    reasons = [(f.backend, f.reason) for f in sel.solver.fallbacks]
    assert (Backend.LP_CORE, FallbackReason.NOT_PROVEN) in reasons
    assert sel.solver.route is Route.MILP and sel.status.value == "optimal"
    assert sel.objective == _milp_optimum(model)
    assert verify(sel) == []


@pytest.mark.parametrize("seed", [1, 2026])
def test_a_list_off_a_fixed_column_is_worth_less_than_the_bound_says(seed: int) -> None:
    """What the rounds' proof rests on: with column ``j`` moved off the bound its reduced
    cost favours, the LP optimum (a bound on every such list) is at most ``LB − |d_j|``
    plus the error bound, for every 0/1 column with a reduced cost."""
    model = _every_rule(300, seed)
    form = model.case().form
    m = _as_model(form)
    lp = run_highs_lp(m, None)
    bound, d = _lagrangian(m, lp)
    error = _lagrangian_error(m, lp, d)
    assert 0 < error < 1e-3 and bound == pytest.approx(lp.objective, rel=1e-9)
    binary = m.integer & (m.col_lower == 0) & (m.col_upper == 1)
    tried = 0
    for j in np.flatnonzero(binary & (np.abs(d) > 1e-6))[:40]:
        off = 0.0 if d[j] > 0 else 1.0
        lower, upper = m.col_lower.copy(), m.col_upper.copy()
        lower[j] = upper[j] = off
        flipped = run_highs_lp(MatrixModel(m.objective, m.matrix, m.row_lower, m.row_upper,
                                           lower, upper, m.integer, m.maximize), None)
        if flipped.optimal:
            assert flipped.objective <= bound - abs(d[j]) + error + 1e-7 * abs(bound)
            tried += 1
    assert tried >= 10
