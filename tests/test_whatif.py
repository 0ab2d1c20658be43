"""What-if re-solves: every claim checked by an independent ``select`` call.

The what-if functions re-solve a compiled ``Model`` with overrides (HiGHS here); the
checks build modified inputs or rules from scratch and call :func:`selector.select`
(CBC), so neither the override path nor the solver is shared with the claim.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from selector import InfeasibleError, Proposal, ProposalSet, Rules
from selector import select as _select
from selector.engine import Model
from selector.rules import Count, Force, GroupRule
from selector.whatif import (
    Resolver,
    benefit_threshold,
    benefit_to_enter,
    budget_threshold,
    cost_threshold,
    cost_to_enter,
    entry_budget,
    forced_in,
    forced_out,
)

DOMAINS = ("health", "skills", "life")
OPEN = {"require_indicator": False}


def select(ps: ProposalSet, rules: Rules, **kwargs):
    """The independent check: a fresh model from modified inputs, solved from scratch."""
    return _select(ps, rules, solver="highs", **kwargs)


def make_set(items: list[tuple[int, int]]) -> ProposalSet:
    """Proposals P0.. with (cost yuan, beneficiaries), domains cycling."""
    return ProposalSet.from_proposals(
        Proposal(id=f"P{k}", domain=DOMAINS[k % len(DOMAINS)], cost=c, beneficiaries=b)
        for k, (c, b) in enumerate(items))


def with_value(ps: ProposalSet, pid: str, *, cost: Decimal | None = None,
               beneficiaries: float | None = None) -> ProposalSet:
    """A copy of the proposals with one proposal's cost or beneficiaries changed."""
    frame = ps.frame.copy()
    row = frame.index[frame["id"] == pid][0]
    if cost is not None:
        frame.loc[row, "cost_minor"] = int(cost * 100)
    if beneficiaries is not None:
        frame.loc[row, "beneficiaries"] = float(beneficiaries)
    return ps.replace_frame(frame)


def runners(model: Model, base) -> list[str]:
    return [i for i, ok in zip(model.problem.index, model.eligible, strict=True)
            if ok and i not in base.selected]


instances = st.lists(st.tuples(st.integers(1, 40), st.integers(1, 90)), min_size=3, max_size=7)


def rules_for(items: list[tuple[int, int]], frac: float, kind: int) -> Rules:
    # at least the dearest cost: with no candidate left (e.g. after forcing one out) the
    # engine's HiGHS path fails on the empty model (reported to the engine)
    budget = max(max(c for c, _ in items), int(sum(c for c, _ in items) * frac))
    extra: dict = {}
    if kind == 1:
        extra["groups"] = (GroupRule(column="domain", max_share=0.6),)
    elif kind == 2:
        extra["count"] = Count(max=2)
    return Rules(budget=budget, eligibility=OPEN, **extra)


SETTINGS = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(instances, st.floats(0.2, 0.7), st.integers(0, 2))
def test_budget_threshold_is_a_verified_transition(items, frac, kind):
    ps, rules = make_set(items), rules_for(items, frac, kind)
    model = Model.build(ps, rules, solver="highs")
    base = model.solve()
    res = Resolver(model, base)
    for pid in runners(model, base)[:2]:
        t = budget_threshold(model, base, pid, resolver=res)
        if t is None:
            continue
        assert t.value > Decimal(base.budget)
        assert pid in select(ps, rules, budget=t.value).selected
        assert pid not in select(ps, rules, budget=t.value - 1).selected
        assert entry_budget(model, base, pid, resolver=res) == t.value


@SETTINGS
@given(instances, st.floats(0.2, 0.7), st.integers(0, 2))
def test_forcing_in_and_out_lose_exactly_what_an_independent_solve_says(items, frac, kind):
    ps, rules = make_set(items), rules_for(items, frac, kind)
    model = Model.build(ps, rules, solver="highs")
    base = model.solve()
    for pid, fin in forced_in(model, base).items():
        forced = rules.model_copy(update={"force_in": (Force(id=pid),)})
        if not fin.feasible:
            with pytest.raises(Exception, match=pid):
                select(ps, forced)
            continue
        other = select(ps, forced)
        assert fin.loss == pytest.approx(base.objective - other.objective)
        assert set(fin.removed) == set(base.selected) - set(other.selected)
        assert set(fin.added) == set(other.selected) - set(base.selected) - {pid}
    for pid, fout in forced_out(model, base).items():
        other = select(ps, rules.model_copy(update={"force_out": (Force(id=pid),)}))
        assert fout.feasible
        assert fout.loss == pytest.approx(base.objective - other.objective)
        assert set(fout.replaced_by) == set(other.selected) - set(base.selected)


@SETTINGS
@given(instances, st.floats(0.2, 0.7), st.integers(0, 2))
def test_cost_cut_brings_it_in_and_one_yuan_less_does_not(items, frac, kind):
    ps, rules = make_set(items), rules_for(items, frac, kind)
    model = Model.build(ps, rules, solver="highs")
    base = model.solve()
    res = Resolver(model, base)
    for pid in runners(model, base)[:2]:
        t = cost_threshold(model, base, pid, resolver=res)
        cost = res.cost_of(pid)
        if t is None:            # not even free: check that claim too
            assert pid not in select(with_value(ps, pid, cost=Decimal(0)), rules).selected
            continue
        assert pid in select(with_value(ps, pid, cost=max(cost - t.value, Decimal(0))),
                             rules).selected
        assert pid not in select(with_value(ps, pid, cost=cost - t.value + 1), rules).selected
        assert cost_to_enter(model, base, pid, resolver=res) == max(cost - t.value, Decimal(0))


@SETTINGS
@given(instances, st.floats(0.2, 0.7), st.integers(0, 2))
def test_benefit_rise_brings_it_in_and_one_less_does_not(items, frac, kind):
    ps, rules = make_set(items), rules_for(items, frac, kind)
    model = Model.build(ps, rules, solver="highs")
    base = model.solve()
    res = Resolver(model, base)
    for pid in runners(model, base)[:2]:
        t = benefit_threshold(model, base, pid, resolver=res)
        if t is None:
            continue
        b = res.benefit_of(pid)
        z = float(t.value)
        assert pid in select(with_value(ps, pid, beneficiaries=b + z), rules).selected
        assert pid not in select(with_value(ps, pid, beneficiaries=b + z - 1), rules).selected
        assert benefit_to_enter(model, base, pid, resolver=res) == b + z


class _Oracle:
    """Brute force over all subsets with the engine's tie-break: most beneficiaries, then
    fewest yuan, then the smallest sum of id ranks (P0.. sort in position order)."""

    def __init__(self, cost: np.ndarray, benefit: np.ndarray) -> None:
        n = len(cost)
        masks = np.array(list(itertools.product([0, 1], repeat=n)), dtype=bool)
        self.masks = masks
        self.cost = masks @ cost
        self.benefit = masks @ benefit
        self.ranks = masks @ np.arange(1, n + 1)

    def best(self, budget: int) -> set[int] | None:
        """The optimum, or ``None`` when two lists tie on all three keys (the engine's
        tie-break does not order them)."""
        ok = np.flatnonzero(self.cost <= budget)
        order = np.lexsort((self.ranks[ok], self.cost[ok], -self.benefit[ok]))
        a, b = ok[order[0]], (ok[order[1]] if len(order) > 1 else None)
        if b is not None and (self.benefit[a], self.cost[a], self.ranks[a]) == (
                self.benefit[b], self.cost[b], self.ranks[b]):
            return None
        return set(np.flatnonzero(self.masks[a]).tolist())


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(1, 30), st.integers(1, 1000)), min_size=3, max_size=7),
       st.floats(0.2, 0.6))
def test_budget_only_threshold_is_the_first_budget_by_brute_force(items, frac):
    """On a budget-only call selection is checked by brute force at every whole budget:
    the transition is verified, and when the search says it is the first, it is."""
    ps = make_set(items)
    budget = max(min(c for c, _ in items), int(sum(c for c, _ in items) * frac))
    model = Model.build(ps, Rules(budget=budget, eligibility=OPEN), solver="highs")
    base = model.solve()
    cost = np.array([c for c, _ in items])
    benefit = np.array([b for _, b in items], dtype=float)
    oracle = _Oracle(cost, benefit)
    best = {b: oracle.best(b) for b in range(budget, int(cost.sum()) + 1)}
    assume(all(v is not None for v in best.values()))
    assert {f"P{k}" for k in best[budget] or ()} == set(base.selected)
    for pid in runners(model, base):
        t = budget_threshold(model, base, pid, walk=200)
        k = int(pid[1:])
        first = next((b for b, v in best.items() if v is not None and k in v), None)
        if t is None:
            assert first is None
            continue
        x = int(t.value)
        assert k in best[x] and (x - 1 < budget or k not in best[x - 1])
        assert t.first                   # 2^7 lists at most: the walk settles every budget
        assert x == first


def test_doctest_instance_by_hand():
    ps = make_set([(60, 600), (50, 400), (50, 150)])
    model = Model.build(ps, Rules(budget=100, eligibility=OPEN), solver="highs")
    base = model.solve()
    assert base.selected == ("P0",)
    assert entry_budget(model, base, "P1") == Decimal(110)     # P0 + P1
    assert cost_to_enter(model, base, "P1") == Decimal(40)     # P0 + P1 fit in 100
    assert benefit_to_enter(model, base, "P1") == 451          # P1 + P2 = 601 > 600
    assert forced_out(model, base)["P0"].replaced_by == ("P1", "P2")


def test_forcing_in_an_impossible_proposal_says_why():
    ps = make_set([(60, 600), (50, 400), (50, 150)])
    rules = Rules(budget=100, eligibility=OPEN, count=Count(max=1),
                  force_in=(Force(id="P1", reason="pledged"),))
    model = Model.build(ps, rules, solver="highs")
    base = model.solve()
    fin = forced_in(model, base, ["P0"])["P0"]
    assert not fin.feasible and fin.loss == float("inf")
    assert "1 project" in fin.why or "P1" in fin.why


def test_unknown_id_is_a_key_error():
    ps = make_set([(60, 600), (50, 400)])
    model = Model.build(ps, Rules(budget=100, eligibility=OPEN), solver="highs")
    with pytest.raises(KeyError, match="nope"):
        entry_budget(model, model.solve(), "nope")


def test_parallel_executor_gives_the_same_answers():
    from concurrent.futures import ThreadPoolExecutor

    ps = make_set([(30, 50), (20, 40), (25, 30), (10, 12), (40, 70), (15, 20)])
    model = Model.build(ps, Rules(budget=60, eligibility=OPEN), solver="highs")
    base = model.solve()
    with ThreadPoolExecutor(2) as pool:
        par = forced_in(model, base, executor=pool)
    assert par == forced_in(model, base)


@SETTINGS
@given(instances, st.floats(0.2, 0.7), st.integers(0, 2))
def test_value_only_resolve_matches_an_independent_optimum(items, frac, kind):
    ps, rules = make_set(items), rules_for(items, frac, kind)
    model = Model.build(ps, rules, solver="highs")
    base = model.solve()
    res = Resolver(model, base)
    for pid in runners(model, base)[:2]:
        sel = res.value(force_in=[pid], cost={pid: Decimal(1)})
        forced = rules.model_copy(update={"force_in": (Force(id=pid),)})
        try:
            other = select(with_value(ps, pid, cost=Decimal(1)), forced)
        except InfeasibleError:
            assert sel is None
            continue
        assert sel is not None and sel.objective == other.objective


def test_cost_cut_to_a_tie_that_the_tie_break_settles_without_it():
    # B reaches A's 600 beneficiaries at ¥60 (a tie: A wins on its id), and wins at ¥59
    ps = ProposalSet.from_proposals([
        Proposal(id="A", domain="health", cost=60, beneficiaries=600),
        Proposal(id="B", domain="skills", cost=70, beneficiaries=600)])
    rules = Rules(budget=100, eligibility=OPEN)
    model = Model.build(ps, rules, solver="highs")
    base = model.solve()
    assert base.selected == ("A",)
    t = cost_threshold(model, base, "B")
    assert t is not None and t.value == Decimal(11)
    assert select(with_value(ps, "B", cost=Decimal(59)), rules).selected == ("B",)
    assert "B" not in select(with_value(ps, "B", cost=Decimal(60)), rules).selected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(1, 15), st.integers(1, 60)), min_size=3, max_size=6),
       st.floats(0.25, 0.6), st.sampled_from([None, 0.5, 0.8]), st.integers(0, 2))
def test_budget_threshold_with_rules_is_the_first_budget_by_brute_force(items, frac, share,
                                                                         kind):
    """Budgets where the candidates change (``max_project_share``) and rules beyond the
    budget: the answer, and "no budget brings it in", match an exhaustive search over every
    whole budget (selected = forcing it in serves strictly more than forcing it out)."""
    from selector.testing import brute_force

    ps = make_set(items)
    rules = rules_for(items, frac, kind).model_copy(update={"max_project_share": share})
    model = Model.build(ps, rules, solver="highs")
    try:
        base = model.solve()
    except InfeasibleError:
        assume(False)
    top = sum(c for c, _ in items) * 2 + 1
    for pid in runners(model, base)[:2]:
        def selected(b: int, pid: str = pid) -> bool:
            fin = brute_force(ps, rules.model_copy(update={"force_in": (Force(id=pid),)}),
                              budget=b)
            fout = brute_force(ps, rules.model_copy(update={"force_out": (Force(id=pid),)}),
                               budget=b)
            assume(fin is None or fout is None or fin != fout)   # no tie on its account
            return fin is not None and (fout is None or fin > fout)

        first = next((b for b in range(int(base.budget) + 1, top + 1) if selected(b)), None)
        t = budget_threshold(model, base, pid, max_budget=top)
        if first is None:
            assert t is None
            continue
        assert t is not None and int(t.value) == first and t.first


def test_threshold_searches_stay_short_on_the_example():
    """The cost cut comes from one MIP and is confirmed by three re-solves; the budget
    search is settled by certificates (no walk): both far below a bisection's ~20 solves."""
    from pathlib import Path

    from selector import load_proposals, load_rules

    root = Path(__file__).resolve().parents[1] / "examples"
    model = Model.build(load_proposals(root / "proposals.csv"),
                        load_rules(root / "rules.toml"), solver="highs")
    res = Resolver(model, solver="highs")
    pid = runners(model, res.base)[0]
    cut = cost_threshold(model, res.base, pid, resolver=res)
    assert cut is not None and cut.solves <= 4
    entry = budget_threshold(model, res.base, pid, resolver=res)
    assert entry is not None and entry.first and entry.solves <= 6
