"""No solver fault makes a feasible call raise or answer wrongly (issue #19): a solver
error falls back to the other solver, with the reason in ``selection.solver``; the draws
that failed before are pinned; the exact routes agree with the brute-force oracle."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import selector.engine.backends as backends
import selector.engine.solve as solve_module
from selector import Model, Proposal, ProposalSet, Rules, SolverError, verify
from selector.datasets import generate_call
from selector.engine.backends import Limits, MatrixModel, Outcome, RawResult
from selector.result import Backend, FallbackReason, Route
from selector.rules import Eligibility, GroupRule
from selector.testing import brute_force

OPEN = Eligibility(require_indicator=False)


def _call(fen: list[int], domains: list[str], benefit: list[float]) -> ProposalSet:
    return ProposalSet.from_proposals(
        Proposal(id=f"P{k:02d}", domain=d, cost=Decimal(c) / 100, beneficiaries=b)
        for k, (c, d, b) in enumerate(zip(fen, domains, benefit, strict=True)))


#: Issue #19: HiGHS answered "Solve error" on this feasible model (a 0.55 cost-share cap,
#: costs in the hundreds of thousands of yuan), and select raised SolverError.
SOLVE_ERROR = (_call([58494965, 95035027, 33557039, 21346591, 73798549, 77042419, 16216731,
                      97972509, 42682821],
                     ["health", "skills", "health", "health", "health", "health", "skills",
                      "skills", "health"],
                     [1268, 913, 320, 1871, 1386, 992, 748, 328, 1739]),
               0.55, Decimal("1901801.67"))
#: Found while hunting it: HiGHS "proved" the empty list optimal (0 against 5,327).
WRONG_ZERO = (_call([22219170201, 93736269359, 67343437707, 97126292213, 43794004459,
                     83840622107, 60526553847, 71499811105, 41058769187, 51143124357,
                     27194156687],
                    ["skills", "health", "skills", "skills", "skills", "health", "skills",
                     "skills", "skills", "skills", "skills"],
                    [1157, 161, 1705, 332, 329, 548, 1533, 585, 1918, 1783, 1130]),
              0.55, Decimal("3285755413.87"))


@pytest.fixture
def milp_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small models go to CP-SAT by default; this sends them to the MILP solvers."""
    monkeypatch.setattr(solve_module, "CPSAT_MAX", 0)


@pytest.mark.usefixtures("milp_only")
@pytest.mark.parametrize("case", [SOLVE_ERROR, WRONG_ZERO], ids=["solve-error", "wrong-zero"])
@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_reported_draws_are_answered_by_the_milp_solvers(case: tuple, solver: str) -> None:
    ps, share, budget = case
    rules = Rules(completion=None, eligibility=OPEN,
                  groups=(GroupRule(column="domain", max_share=share),))
    sel = Model.build(ps, rules).solve(budget=budget, solver=solver, gap=0.0)
    assert sel.objective == brute_force(ps, rules, budget=budget)
    assert verify(sel) == []
    assert sel.solver.route is Route.MILP


@pytest.mark.parametrize("case", [SOLVE_ERROR, WRONG_ZERO], ids=["solve-error", "wrong-zero"])
@pytest.mark.parametrize("solver", ["highs", "cbc", "cpsat"])
def test_reported_draws_are_answered_exactly_by_default(case: tuple, solver: str) -> None:
    ps, share, budget = case
    rules = Rules(completion=None, eligibility=OPEN,
                  groups=(GroupRule(column="domain", max_share=share),))
    sel = Model.build(ps, rules).solve(budget=budget, solver=solver, gap=0.0)
    assert sel.objective == brute_force(ps, rules, budget=budget)
    assert sel.solver == "cpsat" and sel.solver.asked == solver
    assert verify(sel) == []


def _failing(backend: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make one solver answer "Solve error" on every run; returns the runs seen."""
    seen: list[str] = []
    real = {"highs": backends.run_highs, "cbc": backends.run_cbc}

    def broken(model: MatrixModel, limits: Limits, *args: object, **kwargs: object) -> RawResult:
        seen.append(backend)
        return RawResult(Outcome.ERROR, None, math.nan, math.nan, "Solve error")

    monkeypatch.setattr(solve_module, f"run_{backend}", broken)
    assert real  # the other solver stays real
    return seen


@pytest.mark.usefixtures("milp_only")
@pytest.mark.parametrize(("broken", "other"), [("highs", "cbc"), ("cbc", "highs")])
def test_a_solver_error_falls_back_to_the_other_solver(broken: str, other: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    ps, share, budget = SOLVE_ERROR
    rules = Rules(completion=None, eligibility=OPEN,
                  groups=(GroupRule(column="domain", max_share=share),))
    seen = _failing(broken, monkeypatch)
    sel = Model.build(ps, rules).solve(budget=budget, solver=broken, gap=0.0)  # type: ignore[arg-type]
    assert seen and sel.solver == other and sel.solver.asked == broken
    first = sel.solver.fallbacks[0]
    assert (first.backend.value, first.reason) == (broken, FallbackReason.ERROR)
    assert first.detail == "Solve error"
    assert sel.objective == brute_force(ps, rules, budget=budget)
    assert broken in sel.solver.describe("en") and sel.solver.describe("zh")
    data = sel.to_dict()
    assert data["solver"] == other
    assert data["solver_record"]["fallbacks"][0] == {"backend": broken, "reason": "error",
                                                     "detail": "Solve error"}


@pytest.mark.usefixtures("milp_only")
def test_when_every_solver_fails_the_call_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    ps, share, budget = SOLVE_ERROR
    rules = Rules(completion=None, eligibility=OPEN,
                  groups=(GroupRule(column="domain", max_share=share),))
    _failing("highs", monkeypatch)
    _failing("cbc", monkeypatch)
    with pytest.raises(SolverError):
        Model.build(ps, rules).solve(budget=budget, solver="highs", gap=0.0)


def test_a_model_cp_sat_cannot_hold_goes_to_the_milp() -> None:
    """A share of beneficiaries with seven decimals is no whole number at 10^6: CP-SAT
    declines, and the MILP answers (the oracle agrees)."""
    ps = _call([1000, 2000, 3000, 4000], ["health", "skills", "health", "skills"],
               [10.1234567, 20.7654321, 30.5, 40.25])
    rules = Rules(budget=Decimal(70), completion=None, eligibility=OPEN,
                  groups=(GroupRule(column="domain", measure="beneficiaries",
                                    max_share=0.6),))
    sel = Model.build(ps, rules).solve(solver="cpsat")
    assert sel.solver != "cpsat" and sel.solver.asked == "cpsat"
    assert sel.objective == pytest.approx(brute_force(ps, rules), abs=1e-6)


@st.composite
def big_calls(draw: st.DrawFn) -> tuple[ProposalSet, list[int]]:
    n = draw(st.integers(2, 11))
    fen = [draw(st.integers(1_000_000, 10_000_000_000)) | 1 for _ in range(n)]
    dom = [draw(st.sampled_from(("health", "skills"))) for _ in range(n)]
    ben = [float(draw(st.integers(1, 2_000))) for _ in range(n)]
    return _call(fen, dom, ben), fen


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(call=big_calls(), data=st.data(), solver=st.sampled_from(["highs", "cbc"]),
       route=st.sampled_from(["default", "milp"]))
@example(call=(SOLVE_ERROR[0], []), data=None, solver="highs", route="milp")
def test_big_costs_and_share_caps_match_the_oracle(call: tuple, data: st.DataObject | None,
                                                   solver: str, route: str) -> None:
    """Costs up to 10^8 yuan (near and above 2^26 fen), a share cap, the budget at an
    edge: every route and solver gives the oracle's optimum; none raises."""
    ps, fen = call
    if data is None:   # the pinned draw
        share, budget = SOLVE_ERROR[1], SOLVE_ERROR[2]
    else:
        subset = data.draw(st.sets(st.integers(0, len(fen) - 1), min_size=1))
        budget = Decimal(sum(fen[k] for k in subset) - data.draw(st.sampled_from([0, 1]))) / 100
        share = data.draw(st.sampled_from([0.3, 0.55, 0.6, 0.7]))
    rules = Rules(completion=None, eligibility=OPEN,
                  groups=(GroupRule(column="domain", max_share=share),))
    limit = solve_module.CPSAT_MAX
    try:
        if route == "milp":
            solve_module.CPSAT_MAX = 0
        sel = Model.build(ps, rules).solve(budget=budget, solver=solver, gap=0.0)  # type: ignore[arg-type]
    finally:
        solve_module.CPSAT_MAX = limit
    assert sel.objective == pytest.approx(brute_force(ps, rules, budget=budget), abs=1e-6)
    assert verify(sel) == []


def test_row_scales_are_powers_of_two_that_keep_the_model() -> None:
    import scipy.sparse as sp

    a = sp.csr_matrix(np.array([[3e9, 1.0, 0.0], [0.0, 0.0, 0.0], [0.25, 0.5, 0.75]]))
    scale = backends.row_scales(a)
    assert scale[1] == 1.0
    big = np.abs(a.toarray()).max(axis=1)
    assert np.all((big[[0, 2]] * scale[[0, 2]] >= 1) & (big[[0, 2]] * scale[[0, 2]] < 2))
    assert np.all(np.log2(scale) == np.round(np.log2(scale)))   # exact in binary


def test_backends_report_outcomes_as_enums() -> None:
    import scipy.sparse as sp

    m = MatrixModel(np.array([3.0, 2.0, 4.0]), sp.csr_matrix(np.array([[0.3, 0.2, 0.5]])),
                    np.array([-np.inf]), np.array([0.5]), np.zeros(3), np.ones(3),
                    np.ones(3, dtype=bool))
    for run in (backends.run_highs, backends.run_cbc, backends.run_cpsat):
        raw = run(m, Limits())
        assert raw.status is Outcome.OPTIMAL and raw.status == "optimal"
        assert raw.objective == 5.0 and np.rint(raw.x).tolist() == [1, 1, 0]
    infeasible = MatrixModel(m.objective, m.matrix, np.array([2.0]), np.array([3.0]),
                             np.zeros(3), np.ones(3), np.ones(3, dtype=bool))
    for run in (backends.run_highs, backends.run_cbc, backends.run_cpsat):
        assert run(infeasible, Limits()).status is Outcome.INFEASIBLE
    assert Backend.CPSAT == "cpsat"


@pytest.mark.usefixtures("milp_only")
def test_the_solver_record_survives_pickling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Selections cross process boundaries (sweeps on Dask): the record keeps its fields."""
    import pickle

    ps, share, budget = SOLVE_ERROR
    rules = Rules(completion=None, eligibility=OPEN,
                  groups=(GroupRule(column="domain", max_share=share),))
    _failing("highs", monkeypatch)
    sel = Model.build(ps, rules).solve(budget=budget, solver="highs", gap=0.0)
    again = pickle.loads(pickle.dumps(sel.solver))
    assert again == sel.solver == "cbc" and again.route is Route.MILP
    assert again.fallbacks == sel.solver.fallbacks and again.version == sel.solver.version
    with pytest.raises(AttributeError):
        sel.solver.route = Route.CPSAT  # type: ignore[misc]


#: The what-if re-solve of the reserve's scoring on which `selector select --solver highs`
#: (tests/test_cli.py's call: 70 generated proposals, two pools, a 40 % domain share cap,
#: at most 14 projects) met HiGHS's "Solve error" on main: one cost cut, one proposal
#: forced in, tie-break off, the base list as the hint.
WHATIF_RULES = Rules(budget=3_000_000, pools=({"name": "fiscal", "amount": 2_000_000},
                                              {"name": "charity", "amount": 1_200_000}),
                     groups=(GroupRule(column="domain", max_share=0.4),), count={"max": 14})
WHATIF = {"force_in": ("2026-0023",), "cost": {"2026-0023": Decimal("34247")},
          "tie_break": False, "diagnose": False,
          "hint": ("2026-0012", "2026-0014", "2026-0023", "2026-0024", "2026-0031",
                   "2026-0041", "2026-0054", "2026-0064", "2026-0068", "2026-0070")}


@pytest.mark.parametrize("scaled", [True, False])
def test_the_what_if_highs_failed_on_is_answered(monkeypatch: pytest.MonkeyPatch,
                                                 scaled: bool) -> None:
    """Rows and columns scaled by powers of two (the default), HiGHS answers it itself;
    unscaled (as on main) it may fail, and then CBC answers with the reason recorded: the
    same optimum either way (each list checked exactly by the solve, at the cut cost)."""
    model = Model.build(generate_call(70, seed=11), WHATIF_RULES)
    exact = model.solve(solver="cbc", **WHATIF)
    monkeypatch.setattr(backends, "SCALE_ROWS", scaled)
    monkeypatch.setattr(backends, "SCALE_COLUMNS", scaled)
    sel = model.solve(solver="highs", **WHATIF)
    assert sel.objective == exact.objective and sel.is_optimal
    if scaled:
        assert sel.solver == "highs" and sel.solver.fallbacks == ()
    else:
        assert all((f.backend, f.reason) == (Backend.HIGHS, FallbackReason.ERROR)
                   for f in sel.solver.fallbacks)
        assert sel.solver == ("cbc" if sel.solver.fallbacks else "highs")
