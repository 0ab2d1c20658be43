"""Rule families: one home per rule.

The registry, the structured checks (the verifier's verdict against the independent
oracle on random lists, every family on), the words in both languages, the what-if cases,
and the defaults that live in the library rather than in the command line.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selector import InvalidInputError, Proposal, ProposalSet, Rules, select
from selector.datasets import generate_call
from selector.engine import (
    FAMILIES,
    Model,
    Outcome,
    Overrides,
    RulesConflict,
    check,
    default_budget,
    screen,
    screen_reasons,
    verify,
)
from selector.engine.families import Family, active_families, family
from selector.engine.families.pools import pool_amounts, pool_eligibility
from selector.engine.solve import exact_pool_payments
from selector.engine.verify import rule_checks
from selector.rules import (
    Count,
    Distinct,
    Eligibility,
    Force,
    GroupRule,
    Objective,
    Pool,
    Relations,
    Resource,
    register_table,
)
from selector.scenarios import (
    RunOptions,
    SolveOptions,
    compare,
    frontier,
    robust_select,
    robustness,
    sweep,
)
from selector.testing import holds

from .test_engine_oracle import proposal_sets, rule_sets

SRC = Path(__file__).resolve().parents[1] / "src" / "selector"
OPEN = Eligibility(require_indicator=False)


# -- the registry -------------------------------------------------------------------------------
def test_every_family_is_one_module_with_its_mathematics() -> None:
    keys = [f.key for f in FAMILIES]
    assert len(set(keys)) == len(keys)
    for f in FAMILIES:
        module = sys.modules[type(f).__module__]
        assert module.__file__ is not None and Path(module.__file__).stem in (f.key, "base")
        doc = module.__doc__ or ""
        assert re.search(r"^Rules file.*::$", doc, re.MULTILINE), f.key
        if type(f).rows is not Family.rows:       # a family with rows writes them out
            assert re.search(r"^(Rows?|Columns)\b", doc, re.MULTILINE), f.key
        assert family(f.key) is f
    with pytest.raises(KeyError):
        family("no-such-family")


def test_the_engine_names_no_rule_itself() -> None:
    """Screening, formulation, verification, binding rules and relaxations loop over the
    registry; the report and the explanations read checks and changes by key."""
    for path in ("engine/formulate.py", "engine/screening.py", "engine/verify.py",
                 "engine/binding.py", "engine/relax.py", "report/rulecheck.py"):
        code = (SRC / path).read_text(encoding="utf-8").split('"""', 2)[-1]
        assert not re.search(r"rules\.(groups|pools|resources|distinct|count|schedule|"
                             r"force_in|force_out|relations|eligibility)\b", code), path


def test_checks_are_keyed_and_binding_names_checks() -> None:
    ps = generate_call(60, seed=5)
    rules = Rules(budget=3_000_000, eligibility=OPEN, completion=None,
                  groups=(GroupRule(column="domain", max_share=0.4),
                          GroupRule(column="domain", measure="count", min_total=1)),
                  distinct=(Distinct(column="district", min=3),),
                  resources=(Resource(name="staff", column="staff_months", capacity=40),),
                  count=Count(max=12), max_project_share=0.3)
    sel = select(ps, rules, solver="highs")
    keys = [c.key for c in sel.checks]
    assert len(set(keys)) == len(keys)
    assert set(sel.binding) <= set(keys)
    assert {c.family for c in sel.checks} == {f.key for f in active_families(rules)}
    assert all(c.met for c in sel.checks) and verify(sel) == []
    assert [c.key for c in check(sel)] == keys
    # a group cap: the achieved share re-added from the list itself
    frame = sel.selected_frame()
    total = sum(frame["cost"], Decimal(0))
    for c in sel.checks:
        if c.key.startswith("groups[0].max_share[domain="):
            part = sum(frame.loc[frame["domain"] == c.label, "cost"], Decimal(0))
            assert c.achieved == pytest.approx(float(part / total))
            assert set(c.members) == set(frame.loc[frame["domain"] == c.label, "id"])


def test_a_broken_rule_is_a_broken_check_with_its_members() -> None:
    ps = generate_call(12, seed=3)
    rules = Rules(budget=10_000_000, eligibility=OPEN, completion=None, count=Count(max=2))
    sel = select(ps, rules, solver="highs")
    worse = Rules(budget=10_000_000, eligibility=OPEN, completion=None, count=Count(max=1))
    broken = verify(dataclasses.replace(sel, rules=worse))
    assert [(c.key, c.achieved, c.limit) for c in broken] == [("count.max", 2, 1)]
    assert broken[0].render("en") == "the number of projects: 2 (at most 1)"
    assert broken[0].render("zh") == "项目数：2（上限1）"
    # a condition names the proposals that break it
    pair = ProposalSet.from_proposals([
        Proposal(id="A", domain="health", cost=10, beneficiaries=5, excludes=("B",)),
        Proposal(id="B", domain="health", cost=10, beneficiaries=5)])
    free = Rules(budget=100, eligibility=OPEN, relations=Relations(excludes=False))
    both = select(pair, free, solver="highs")
    assert both.selected == ("A", "B")
    broken = verify(dataclasses.replace(both, rules=Rules(budget=100, eligibility=OPEN)))
    assert [(c.key, c.side, c.achieved, c.members) for c in broken] == [
        ("relations.excludes", "", 1, ("A",))]
    assert broken[0].render("zh") == "互斥的项目不能同时入选：1项违反（A）"


# -- the verifier against the independent oracle ------------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_verify_agrees_with_the_oracle_on_random_lists(data: st.DataObject) -> None:
    """Every family but the schedule on and off: for a random list, the verifier's checks
    all hold exactly when the oracle (written separately, plain Python) says the list keeps
    every rule. Pool payments come from the exact payment planner (a plan exists or not)."""
    ps = data.draw(proposal_sets(max_n=9))
    rules = data.draw(rule_sets(ps, schedule=False))
    model = Model.build(ps, rules)
    problem = model.problem
    chosen = np.array(data.draw(st.lists(st.booleans(), min_size=problem.n,
                                         max_size=problem.n)), dtype=bool)
    case = model.case()
    if data.draw(st.booleans()):            # candidates only: more lists that may hold
        chosen &= case.screening.eligible
    payments = None
    if rules.pools:
        allowed = pool_eligibility(problem, rules.pools)
        sel = np.flatnonzero(chosen)
        plan = exact_pool_payments(problem.cost[sel], allowed[sel], pool_amounts(rules.pools))
        if plan is not None:
            payments = np.zeros((problem.n, len(rules.pools)), dtype=np.int64)
            payments[sel] = plan
    checks = rule_checks(Outcome(problem=problem, rules=rules, chosen=chosen,
                                 cost=problem.cost, benefit=problem.benefit,
                                 budget_minor=case.inputs.budget_minor,
                                 eligible=case.screening.eligible, payments=payments))
    ids = [str(i) for i in problem.ids[chosen]]
    assert all(c.met for c in checks) == holds(ps, rules, ids), [
        c.key for c in checks if not c.met]


# -- words: both languages, from the catalogue ---------------------------------------------------
def _ascii_words(text: str, allowed: set[str]) -> list[str]:
    return [w for w in re.findall(r"[A-Za-z_]+", text) if w not in allowed]


def test_reasons_rules_and_conflicts_read_in_chinese_without_english() -> None:
    ps = generate_call(40, seed=11)
    ids = set(ps.ids)
    rules = Rules(budget=2_000_000, eligibility=Eligibility(min_expert_score=70),
                  groups=(GroupRule(column="domain", max_share=0.35),
                          GroupRule(column="domain", measure="count", max_total=3)),
                  distinct=(Distinct(column="district", min=2),), count=Count(max=8),
                  max_project_share=0.4)
    allowed = {"i", "d"} | {w for i in ids for w in re.findall(r"[A-Za-z_]+", i)}
    for pid, why in screen_reasons(ps, rules).items():
        for r in why:
            assert not _ascii_words(r.render("zh", ps), allowed), (pid, r.render("zh", ps))
            assert r.render("en", ps) != r.render("zh", ps)
    assert screen(ps, rules) == {pid: tuple(r.render("en") for r in why)
                                 for pid, why in screen_reasons(ps, rules).items()}
    sel = select(ps, rules, solver="highs")
    for c in sel.checks:
        text = c.render("zh", ps)
        assert not _ascii_words(text, allowed), text
    tight = Rules(budget=2_000_000, eligibility=OPEN, count=Count(max=2),
                  groups=(GroupRule(column="domain", measure="count", min_total=1),))
    model = Model.build(ps, tight)
    with pytest.raises(RulesConflict) as err:
        model.solve(solver="highs")
    zh = err.value.render("zh", ps)
    assert "无法同时满足" in zh and not _ascii_words(zh, allowed), zh
    assert "cannot both hold" in str(err.value)


def test_taxonomy_labels_name_the_groups() -> None:
    ps = generate_call(30, seed=2)
    rules = Rules(budget=1_500_000, eligibility=OPEN,
                  groups=(GroupRule(column="domain", max_share=0.5),))
    sel = select(ps, rules, solver="highs")
    words = {c.render("zh", ps) for c in sel.checks if c.family == "groups"}
    labels = {ps.domains.label(c.label or "", "zh") for c in sel.checks if c.family == "groups"}
    assert all(any(lab in w for w in words) for lab in labels)


# -- #19: a weighted objective must weigh numbers ----------------------------------------------
def test_weights_on_a_text_column_are_refused() -> None:
    ps = generate_call(8, seed=1)
    rules = Rules(budget=1_000_000, eligibility=OPEN,
                  objective=Objective(kind="weighted", weights={"title": 1.0}))
    with pytest.raises(InvalidInputError, match="title") as err:
        select(ps, rules, solver="highs")
    assert "does not hold numbers" in str(err.value)
    numeric = Rules(budget=1_000_000, eligibility=OPEN,
                    objective=Objective(kind="weighted", weights={"expert_score": 1.0}))
    assert select(ps, numeric, solver="highs").is_optimal


# -- what-if cases --------------------------------------------------------------------------------
def test_cases_are_the_models_with_overrides() -> None:
    ps = generate_call(20, seed=4)
    model = Model.build(ps, Rules(budget=1_000_000, eligibility=OPEN, completion=None))
    assert model.case() is model.case(Overrides())
    pid = ps.ids[0]
    cut = model.case(Overrides.of(cost={pid: "1.5"}, force_in=[pid]))
    assert int(cut.cost[model.problem.index[pid]]) == 150
    assert cut.rules.force_in[-1].id == pid and pid in cut.inputs.force_in
    assert model.case().rules.force_in == ()
    with pytest.raises(InvalidInputError, match="no proposal with id 'nope'"):
        model.case(Overrides.of(force_in=["nope"]))
    with pytest.raises(InvalidInputError, match="decimals"):
        Overrides.of(cost={pid: "1.005"})
    relaxed = Model.build(ps, Rules(budget=1_000_000, eligibility=OPEN,
                                    schedule={"max_concurrent": 3})).without_schedule()
    assert relaxed.rules.schedule is None and relaxed.without_schedule() is relaxed


def test_default_budget_lives_in_the_library() -> None:
    ps = ProposalSet.from_proposals([Proposal(id="A", domain="health", cost=10,
                                              beneficiaries=1)])
    assert default_budget(ps, Rules(budget=500)) == Decimal("500")
    assert default_budget(ps, Rules(pools=(Pool(name="f", amount=70),))) == Decimal("70")
    assert default_budget(ps, Rules(budget=500), "1,200.50") == Decimal("1200.5")
    assert default_budget(ps, Rules()) is None
    ps.meta["budget"] = Decimal("900")      # a Pabulib file's own budget
    assert default_budget(ps, Rules()) == Decimal("900")
    assert default_budget(ps, Rules(budget=500)) == Decimal("500")
    with pytest.raises(InvalidInputError):
        default_budget(ps, Rules(), "-5")


# -- #15: parallel defaults are safe in scripts ---------------------------------------------------
def test_scenario_functions_share_their_settings_and_defaults() -> None:
    assert RunOptions().workers == 1 and RunOptions().here
    for fn in (sweep, robustness, frontier, compare):
        params = inspect.signature(fn).parameters
        assert params["options"].default is None and params["run"].default is None, fn
        named = [p for p in params.values() if p.kind is not p.VAR_KEYWORD]
        assert len(named) <= 8, fn                       # the settings are two objects
    assert "options" in inspect.signature(robust_select).parameters
    with pytest.raises(TypeError, match="'solvr'"):
        sweep(generate_call(3, seed=1), Rules(), [1], solvr="highs")
    with pytest.raises(InvalidInputError, match="workers"):
        RunOptions(workers=0)
    ps = generate_call(8, seed=1)
    rules = Rules(eligibility=OPEN, completion=None)
    by_objects = sweep(ps, rules, [300_000, 600_000], options=SolveOptions(solver="highs"),
                       run=RunOptions(progress=False))
    by_keywords = sweep(ps, rules, [300_000, 600_000], solver="highs", progress=False)
    assert list(by_objects["ids"]) == list(by_keywords["ids"])


def test_a_script_without_a_main_guard_runs_a_sweep(tmp_path: Path) -> None:
    script = tmp_path / "sweep_script.py"
    script.write_text(
        "import selector\n"
        "from selector.datasets import generate_call\n"
        "ps = generate_call(8, seed=1)\n"
        "rules = selector.Rules(eligibility={'require_indicator': False}, completion=None)\n"
        "t = selector.sweep(ps, rules, [300000, 600000], solver='highs', progress=False)\n"
        "r = selector.robustness(ps, rules, samples=2, budget=600000, solver='highs',\n"
        "                        progress=False)\n"
        "print(len(t), len(r.scenarios))\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["2", "2"]


# -- rules-file tables declared by families -------------------------------------------------------
def test_a_table_name_cannot_shadow_a_rule() -> None:
    with pytest.raises(ValueError, match="already defined"):
        register_table("budget", Count)


def test_screening_reasons_keep_their_order_and_family() -> None:
    ps = ProposalSet.from_proposals([
        Proposal(id="A", domain="health", cost=10, beneficiaries=5, requires=("B",)),
        Proposal(id="B", domain="health", cost=10, beneficiaries=5, expert_score=10,
                 indicators=[{"name": "served", "target": 1}])])
    rules = Rules(budget=100, eligibility=Eligibility(min_expert_score=60),
                  force_out=(Force(id="B", reason="duplicate"),),
                  relations=Relations(requires=True))
    why = screen_reasons(ps, rules)
    assert [(r.family, r.code) for r in why["B"]] == [
        ("eligibility", "score_low"), ("force", "forced_out_because")]
    assert [(r.family, r.code) for r in why["A"]] == [
        ("eligibility", "no_indicator"), ("eligibility", "score_missing"),
        ("relations", "requires_screened")]
    assert why["A"][-1].render("zh") == "依赖的项目B不符合条件"
