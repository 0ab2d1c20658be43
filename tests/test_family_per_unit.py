"""The rule family "at most N projects per applicant unit" (``[per_unit]``): the worked
example of CONTRIBUTING.md. Its rules-file table, its rows against the brute-force oracle
(every other family on and off), its check, its words, its relaxation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selector import InfeasibleError, InvalidInputError, ProposalSet, load_rules, select
from selector.datasets import generate_call
from selector.engine import Model, verify
from selector.engine.families.per_unit import PerUnitRule
from selector.explain import explain
from selector.problem import Problem
from selector.rules import Count, Eligibility, Rules
from selector.testing import brute_force

from .test_engine_oracle import proposal_sets, rule_sets

UNITS = ("市总工会", "东城区总工会", "快递行业工会")
OPEN = Eligibility(require_indicator=False)


def keeps(subsets: np.ndarray, problem: Problem, table: PerUnitRule) -> np.ndarray:
    """The oracle's reading, from the rule's meaning: no unit has more than ``max``."""
    values = list(problem.proposals.frame[table.column])
    ok = np.ones(len(subsets), dtype=bool)
    for unit in {v for v in values if isinstance(v, str) and v}:
        member = np.array([v == unit for v in values], dtype=bool)
        ok &= (subsets & member).sum(axis=1) <= table.max
    return ok


def with_units(ps: ProposalSet, units: list[str | None]) -> ProposalSet:
    return ps.replace_frame(ps.frame.assign(proposer=units))


def test_the_rules_file_table(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("budget = 1000\n[per_unit]\nmax = 2\n", encoding="utf-8")
    rules = load_rules(path)
    assert rules.table("per_unit") == PerUnitRule(max=2, column="proposer")
    again = tmp_path / "again.toml"
    again.write_text(rules.to_toml(), encoding="utf-8")
    assert load_rules(again) == rules
    path.write_text("[per_unit]\nmaxx = 2\n", encoding="utf-8")
    with pytest.raises(InvalidInputError) as err:
        load_rules(path)
    found = {(p.column, p.message) for p in err.value.problems}
    assert ("per_unit.maxx", "unknown key 'maxx'; did you mean 'max'?") in found
    path.write_text("[per_unit]\nmax = 0\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="per_unit.max"):
        load_rules(path)
    assert Rules(per_unit={"max": 3}).table("per_unit") == PerUnitRule(max=3)


def test_no_unit_gets_more_than_its_cap() -> None:
    ps = generate_call(120, seed=3)
    rules = Rules(budget=6_000_000, eligibility=OPEN, completion=None,
                  per_unit=PerUnitRule(max=2))
    free = select(ps, Rules(budget=6_000_000, eligibility=OPEN, completion=None),
                  solver="highs")
    sel = select(ps, rules, solver="highs")
    counts = sel.selected_frame()["proposer"].value_counts()
    assert counts.max() <= 2 < free.selected_frame()["proposer"].value_counts().max()
    assert sel.objective <= free.objective and verify(sel) == []
    check = next(c for c in sel.checks if c.key == "per_unit")
    assert (check.limit, check.achieved, check.met) == (2, int(counts.max()), True)
    assert check.render("en", ps) == f"projects of one applicant unit: {counts.max()} (at most 2)"
    assert check.render("zh", ps) == f"同一申报单位的项目数：{counts.max()}（上限2）"
    assert ("per_unit" in sel.binding) == (counts.max() == 2)


def test_a_missing_column_is_named() -> None:
    ps = generate_call(10, seed=1)
    with pytest.raises(InvalidInputError, match="per_unit.column"):
        select(ps, Rules(budget=100_000, per_unit=PerUnitRule(max=1, column="proposr")))


def test_conflict_and_relaxations_speak_of_the_rule() -> None:
    ps = with_units(generate_call(6, seed=2), ["A", "A", "A", "B", "B", "B"])
    rules = Rules(budget=10_000_000, eligibility=OPEN, completion=None,
                  count=Count(min=5), per_unit=PerUnitRule(max=2))
    with pytest.raises(InfeasibleError) as err:
        select(ps, rules, solver="highs")
    assert set(err.value.conflict) == {"per_unit", "count.min"}
    assert "'at most 2 projects per applicant unit'" in str(err.value)
    assert "每个申报单位至多2个项目" in err.value.render("zh")   # type: ignore[attr-defined]
    loose = Rules(budget=10_000_000, eligibility=OPEN, completion=None,
                  per_unit=PerUnitRule(max=1))
    ex = explain(Model.build(ps, loose, solver="highs"), lang="en", workers=1)
    blocked = [r for r in ex.runners_up if "per_unit" in r.blocked_by]
    assert blocked and all("the cap of 1 projects per applicant unit" in r.reason
                           for r in blocked)
    room = ex.rules.get("per_unit")
    assert room is not None and room.used == 1 and room.limit == 1 and room.gain > 0


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_matches_the_oracle_with_every_family(data: st.DataObject) -> None:
    ps = data.draw(proposal_sets(max_n=10))
    ps = with_units(ps, [data.draw(st.sampled_from([*UNITS, None])) for _ in range(len(ps))])
    rules = data.draw(rule_sets(ps, schedule=False))
    rules = rules.model_copy(update={"tables": {
        "per_unit": PerUnitRule(max=data.draw(st.integers(1, 3)))}})
    best = brute_force(ps, rules, tables={"per_unit": keeps})
    solver = data.draw(st.sampled_from(["highs", "cbc"]))
    if best is None:
        with pytest.raises(InfeasibleError):
            select(ps, rules, solver=solver)
        return
    result = select(ps, rules, solver=solver)
    assert result.is_optimal and result.objective == pytest.approx(best, abs=1e-6)
    assert verify(result) == []
    with pytest.raises(ValueError, match="per_unit"):
        brute_force(ps, rules)          # the oracle never guesses a rule it does not know
