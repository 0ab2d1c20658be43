"""Exactness at budget edges (large odd costs in fen), empty models, and the repair loop."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selector import InfeasibleError, Model, Proposal, ProposalSet, Rules, Status, verify
from selector.datasets import generate_call
from selector.engine.backends import MatrixModel
from selector.engine.solve import _no_good, run
from selector.result import Backend
from selector.rules import Count, Eligibility, GroupRule, Relations
from selector.testing import brute_force

SOLVERS = ("cbc", "highs")
OPEN = Eligibility(require_indicator=False)


def _yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


@st.composite
def big_calls(draw: st.DrawFn) -> tuple[ProposalSet, list[int]]:
    n = draw(st.integers(2, 12))
    fen = [draw(st.integers(1_000_000, 100_000_000)) | 1 for _ in range(n)]   # odd fen
    out = [Proposal(id=f"P{k:02d}", domain=draw(st.sampled_from(("health", "skills"))),
                    cost=_yuan(c), beneficiaries=draw(st.integers(1, 2_000)))
           for k, c in enumerate(fen)]
    return ProposalSet.from_proposals(out), fen


@pytest.mark.parametrize("solver", SOLVERS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call=big_calls(), data=st.data())
def test_budget_edges_match_the_oracle(solver: str, call: tuple[ProposalSet, list[int]],
                                       data: st.DataObject) -> None:
    ps, fen = call
    subset = data.draw(st.sets(st.integers(0, len(fen) - 1), min_size=1))
    edge = sum(fen[k] for k in subset)
    capped = data.draw(st.booleans())
    rules = Rules(completion=None, eligibility=OPEN,
                  groups=(GroupRule(column="domain", max_share=0.7),) if capped else ())
    model = Model.build(ps, rules)
    for budget in (_yuan(edge), _yuan(edge - 1)):
        best = brute_force(ps, rules, budget=budget)
        assert best is not None   # the empty list always fits these rules
        sel = model.solve(budget=budget, solver=solver, gap=0.0)
        assert sel.objective == pytest.approx(best, abs=1e-6)
        assert sel.total_cost <= budget
        assert verify(sel) == []


@pytest.mark.parametrize("solver", SOLVERS)
def test_reported_budget_edge_is_solved_exactly(solver: str) -> None:
    """Before: HiGHS overshot the budget by 1 fen, CBC called a feasible model infeasible."""
    ps = generate_call(12, seed=3)
    rules = Rules(completion=None, eligibility=OPEN)
    budget = Decimal("1509383.73")
    sel = Model.build(ps, rules).solve(budget=budget, solver=solver, gap=0.0)
    assert sel.status is Status.OPTIMAL
    assert sel.total_cost <= budget
    assert sel.objective == brute_force(ps, rules, budget=budget)


@pytest.mark.parametrize("solver", SOLVERS)
def test_no_candidate_gives_the_empty_list(solver: str) -> None:
    ps = generate_call(12, seed=3)
    model = Model.build(ps, Rules(budget=1_000_000, eligibility=OPEN))
    sel = model.solve(force_out=list(ps.ids), solver=solver)
    assert (sel.status, sel.selected, sel.objective) == (Status.OPTIMAL, (), 0.0)
    with pytest.raises(InfeasibleError, match="at least 1"):
        Model.build(ps, Rules(budget=1_000_000, eligibility=OPEN,
                              count=Count(min=1))).solve(force_out=list(ps.ids), solver=solver)


@pytest.mark.parametrize("rows", [0, 2])
def test_highs_with_no_columns_is_not_an_error(rows: int) -> None:
    """HiGHS answers "Empty" for a model without columns: the diagnosis calls it so."""
    empty = MatrixModel(np.empty(0), sp.csr_matrix((rows, 0)), np.zeros(rows), np.ones(rows),
                        np.empty(0), np.empty(0), np.empty(0, dtype=bool))
    assert run(empty, "highs", time_limit=None, rel_gap=0.0, abs_gap=0.0).status == "optimal"
    empty.row_lower = np.ones(rows)
    expected = "infeasible" if rows else "optimal"
    assert run(empty, "highs", time_limit=None, rel_gap=0.0, abs_gap=0.0).status == expected


@pytest.mark.parametrize("solver", SOLVERS)
def test_no_good_cut_removes_exactly_one_point(solver: str) -> None:
    """max 2 x0 + 1.5 x1 + x2 with x0 + x1 ≤ 1: cutting the optimum (1, 0, 1) leaves (0, 1, 1)."""
    model = MatrixModel(np.array([2.0, 1.5, 1.0]), sp.csr_matrix(np.array([[1.0, 1.0, 0.0]])),
                        np.array([-np.inf]), np.array([1.0]), np.zeros(3), np.ones(3),
                        np.ones(3, dtype=bool))
    first = run(model, solver, time_limit=None, rel_gap=0.0, abs_gap=0.0)
    assert first.x is not None
    assert np.rint(first.x).tolist() == [1, 0, 1]
    second = run(_no_good(model, np.rint(first.x)), solver, time_limit=None, rel_gap=0.0,
                 abs_gap=0.0)
    assert second.x is not None
    assert np.rint(second.x).tolist() == [0, 1, 1]


def test_a_rejected_rounded_answer_is_cut_off_and_resolved() -> None:
    """The repair loop: a check that rejects the first optimum yields the next best list."""
    from selector.engine.solve import SolveRequest, solve_formulation

    ps = generate_call(12, seed=3)
    model = Model.build(ps, Rules(budget=1_000_000, eligibility=OPEN,
                                  relations=Relations(requires=False, excludes=False,
                                                      variants=False)))
    form = model._form
    assert form is not None
    options = SolveRequest(solver=Backend.HIGHS, gap=0.0)
    plain = solve_formulation(form, cost=model.problem.cost, ids=model.problem.ids,
                              options=options)
    seen: list[tuple[int, ...]] = []

    def accept(cols: np.ndarray) -> bool:
        point = tuple(np.rint(cols[: form.n_x]).astype(int))
        seen.append(point)
        return point != tuple(plain.x)

    repaired = solve_formulation(form, cost=model.problem.cost, ids=model.problem.ids,
                                 options=replace(options, accept=accept))
    assert tuple(plain.x) in seen
    assert tuple(repaired.x) != tuple(plain.x)
    # independent: the best feasible 0/1 point other than the rejected one, by enumeration
    assert form.shape[1] == form.n_x   # x columns only
    points = (np.arange(2 ** form.n_x)[:, None] >> np.arange(form.n_x)) & 1
    act = points @ form.matrix.toarray().T
    ok = np.all((act >= form.row_lower) & (act <= form.row_upper), axis=1)
    ok &= np.any(points != plain.x, axis=1)
    assert repaired.objective == (points[ok] @ form.objective).max()


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_a_binding_schedule_is_solved_whole(solver):
    """The engine first solves without the monthly plan; here that list (all three) cannot
    be scheduled (each runs all year, at most two at once), so the whole model decides."""
    from selector.rules import Schedule
    from selector.testing import brute_force

    ps = ProposalSet.from_proposals(
        Proposal(id=f"P{k}", domain="health", cost=10, beneficiaries=b, duration_months=12,
                 earliest_start=1)
        for k, b in enumerate([50, 40, 30]))
    rules = Rules(budget=100, eligibility={"require_indicator": False},
                  schedule=Schedule(max_concurrent=2))
    sel = Model.build(ps, rules).solve(solver=solver)
    assert sel.selected == ("P0", "P1") and sel.objective == brute_force(ps, rules) == 90
    assert sel.schedule == {"P0": 1, "P1": 1}
    assert "schedule" not in sel.timings          # the plan-free answer was set aside
    loose = rules.model_copy(update={"schedule": Schedule(max_concurrent=3)})
    sel = Model.build(ps, loose).solve(solver=solver)
    assert sel.objective == 120 and sel.schedule == {"P0": 1, "P1": 1, "P2": 1}
    assert "schedule" in sel.timings              # placed on the plan-free answer


@pytest.mark.parametrize("solver", SOLVERS)
def test_share_cap_edge_that_cbc_probing_got_wrong(solver: str) -> None:
    """CBC 2.10.3 with its probing cuts on called 6 optimal here; 12 is reachable."""
    from selector.testing import brute_force

    fen = [1000001, 1000001, 1000001, 2000001, 1000001, 1000001, 11666677]
    ben = [5, 1, 6, 5, 4, 1, 3]
    dom = ["health", "skills", "health", "health", "health", "health", "skills"]
    ps = ProposalSet.from_proposals(
        Proposal(id=f"P{k:02d}", domain=dom[k], cost=_yuan(c), beneficiaries=ben[k])
        for k, c in enumerate(fen))
    rules = Rules(completion=None, eligibility=OPEN,
                  groups=(GroupRule(column="domain", max_share=0.7),))
    budget = Decimal("166666.81")
    sel = Model.build(ps, rules).solve(budget=budget, solver=solver, gap=0.0)
    assert sel.objective == brute_force(ps, rules, budget=budget) == 12
    assert verify(sel) == []


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(("low", "high", "share"), [
    ("9000000.03", "21000000.07", 0.7), ("999000000.03", "2331000000.07", 0.7),
    ("213000000.03", "497000000.07", 0.7), ("3000000.00", "7000000.00", 0.3)])
def test_lists_exactly_at_a_share_cap_are_kept(low: str, high: str, share: float,
                                               solver: str) -> None:
    """Two projects in two domains; together each domain holds exactly its capped share of
    the money (or the single project its capped share of the budget). Written with the
    binary double 0.69999…, the cap rows lost the list and both solvers answered the empty
    list; as whole numbers (10·part − 7·total ≤ 0) the list is kept."""
    a, b = Decimal(low), Decimal(high)
    cap = max(share, 1 - share)
    ps = ProposalSet.from_proposals([Proposal(id="A", domain="x", cost=a, beneficiaries=10),
                                     Proposal(id="B", domain="y", cost=b, beneficiaries=10)])
    rules = Rules(budget=a + b, completion=None, eligibility=OPEN, max_project_share=cap,
                  groups=(GroupRule(column="domain", measure="cost", max_share=cap),))
    model = Model.build(ps, rules)
    assert model.ineligible == {}          # the dearer project is exactly at the budget share
    sel = model.solve(solver=solver)
    assert sel.selected == ("A", "B") and sel.objective == brute_force(ps, rules) == 20
    assert verify(sel) == []
    # one fen over the caps: neither the pair nor either project alone may be chosen
    over = Rules(budget=a + b - Decimal("0.01"), completion=None, eligibility=OPEN,
                 groups=(GroupRule(column="domain", measure="cost", max_share=cap),))
    with pytest.raises(InfeasibleError):
        Model.build(ps, over.model_copy(update={"count": Count(min=1)})).solve(solver=solver)
    # and the least budget at which the pair stays the answer is its cost, exactly
    assert model.answer_holds_from(sel.selected, int((a + b) * 100)) == int((a + b) * 100)
