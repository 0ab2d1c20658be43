"""The integer program against the brute-force oracle, every rule family on and off."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selector import InfeasibleError, Proposal, ProposalSet, select, verify
from selector.rules import (
    Completion,
    Count,
    Distinct,
    Eligibility,
    Force,
    GroupRule,
    Objective,
    Pool,
    PoolFilter,
    Relations,
    Resource,
    Rules,
    Schedule,
)
from selector.testing import brute_force

DOMAINS = ("health", "skills", "rights")
DISTRICTS = ("东城区", "西城区", "海淀区")
GROUPS = ("couriers", "food_delivery", "women_workers")


@st.composite
def proposal_sets(draw: st.DrawFn, max_n: int, min_n: int = 1) -> ProposalSet:
    n = draw(st.integers(min_n, max_n))
    ids = [f"P{k:02d}" for k in range(n)]
    out = []
    for pid in ids:
        others = [o for o in ids if o != pid]
        out.append(Proposal(
            id=pid, domain=draw(st.sampled_from(DOMAINS)),
            cost=Decimal(draw(st.integers(1, 30))) + Decimal(draw(st.sampled_from([0, 50]))) / 100,
            beneficiaries=draw(st.integers(0, 60)),
            duration_months=draw(st.one_of(st.none(), st.integers(1, 4))),
            earliest_start=draw(st.one_of(st.none(), st.integers(1, 4))),
            target_groups=tuple(draw(st.sets(st.sampled_from(GROUPS), max_size=2))),
            district=draw(st.one_of(st.none(), st.sampled_from(DISTRICTS))),
            indicators=[{"name": "served", "target": draw(st.one_of(st.none(), st.just(1.0)))}],
            expert_score=draw(st.one_of(st.none(), st.integers(40, 100))),
            completion_probability=draw(st.one_of(st.none(), st.sampled_from([0.5, 0.8, 1.0]))),
            pools=tuple(draw(st.sets(st.sampled_from(["fiscal", "charity"]), max_size=2))),
            requires=tuple(draw(st.sets(st.sampled_from(others), max_size=1)) if others
                           and draw(st.integers(0, 4)) == 0 else ()),
            excludes=tuple(draw(st.sets(st.sampled_from(others), max_size=1)) if others
                           and draw(st.integers(0, 4)) == 0 else ()),
            variant_group=draw(st.one_of(st.none(), st.sampled_from(["V1", "V2"]))),
            extra={"staff": float(draw(st.integers(0, 5)))},
        ))
    return ProposalSet.from_proposals(out)


@st.composite
def rule_sets(draw: st.DrawFn, ps: ProposalSet, schedule: bool) -> Rules:
    ids = ps.ids
    on = st.booleans()
    total = sum(int(c) for c in ps.frame["cost_minor"]) / 100
    budget = Decimal(draw(st.integers(0, int(total) + 5)))
    kind = draw(st.sampled_from(["beneficiaries", "risk_adjusted", "weighted"]))
    objective = (Objective(kind="weighted", weights={"beneficiaries": 1.0, "expert_score": 0.5})
                 if kind == "weighted" else Objective(kind=kind))
    pools: tuple[Pool, ...] = ()
    if draw(on):
        pools = (Pool(name="fiscal", amount=Decimal(draw(st.integers(0, int(total) + 5)))),
                 Pool(name="charity", amount=Decimal(draw(st.integers(0, 40))),
                      only=PoolFilter(column="domain", values=("health", "rights"))
                      if draw(on) else None))
    groups = []
    if draw(on):
        groups.append(GroupRule(column="domain", measure=draw(st.sampled_from(
            ["cost", "beneficiaries", "count"])), max_share=draw(st.sampled_from([0.4, 0.6, 1.0]))))
    if draw(on):
        groups.append(GroupRule(column="domain", measure="count", min_total=1,
                                values=tuple(sorted(set(ps.frame["domain"])))))
    present = sorted({g for tg in ps.frame["target_groups"] for g in tg} & set(GROUPS[:2]))
    if present and draw(on):
        groups.append(GroupRule(column="target_groups", values=tuple(present),
                                combine=True, measure="count", min_total=draw(st.integers(1, 2))))
    if draw(on):
        groups.append(GroupRule(column="domain", measure="cost", min_share=0.2,
                                values=(str(ps.frame["domain"].iat[0]),)))
    if ps.frame["district"].notna().any() and draw(on):
        groups.append(GroupRule(column="district", measure="cost",
                                max_total=Decimal(draw(st.integers(5, 40)))))
    n_force = min(draw(st.integers(0, 2)), len(ids))
    forced = draw(st.lists(st.sampled_from(ids), min_size=n_force, max_size=n_force,
                           unique=True))
    force_in = tuple(Force(id=i, reason="pledged") for i in forced[:1])
    force_out = tuple(Force(id=i, reason="duplicate") for i in forced[1:])
    return Rules(
        budget=budget if draw(on) or not pools else None,
        objective=objective,
        pools=pools,
        resources=(Resource(name="staff", column="staff", capacity=draw(st.integers(0, 12))),)
        if draw(on) else (),
        groups=tuple(groups),
        distinct=(Distinct(column="district", min=draw(st.integers(1, 3))),) if draw(on) else (),
        max_project_share=draw(st.sampled_from([0.3, 0.5])) if draw(on) else None,
        eligibility=Eligibility(
            require_indicator=draw(on),
            min_expert_score=60 if draw(on) else None,
            min_completion_probability=0.6 if draw(on) else None),
        completion=Completion(deadline_month=draw(st.integers(2, 4)),
                              require_schedule_data=draw(on)) if draw(on) or schedule else None,
        schedule=Schedule(monthly_spend_cap=Decimal(draw(st.integers(5, 40))),
                          max_concurrent=draw(st.integers(1, 3))) if schedule else None,
        count=Count(min=draw(st.integers(0, 2)), max=draw(st.integers(2, 6))) if draw(on) else None,
        force_in=force_in, force_out=force_out,
        relations=Relations(requires=draw(on), excludes=draw(on), variants=draw(on)),
    )


def check_against_oracle(ps: ProposalSet, rules: Rules, solver: str) -> None:
    best = brute_force(ps, rules)
    if best is None:
        with pytest.raises(InfeasibleError) as err:
            select(ps, rules, solver=solver)  # type: ignore[arg-type]
        assert str(err.value).strip()
        return
    result = select(ps, rules, solver=solver)  # type: ignore[arg-type]
    assert result.is_optimal
    assert result.objective == pytest.approx(best, abs=1e-6)
    assert verify(result) == []


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_matches_brute_force(data: st.DataObject) -> None:
    ps = data.draw(proposal_sets(max_n=10))
    rules = data.draw(rule_sets(ps, schedule=False))
    check_against_oracle(ps, rules, data.draw(st.sampled_from(["highs", "highs", "cbc"])))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_matches_brute_force_fourteen(data: st.DataObject) -> None:
    """Every rule family but the schedule, at the issue's oracle size (n = 13 or 14)."""
    ps = data.draw(proposal_sets(max_n=14, min_n=13))
    rules = data.draw(rule_sets(ps, schedule=False))
    check_against_oracle(ps, rules, data.draw(st.sampled_from(["highs", "cbc"])))


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_schedule_matches_brute_force(data: st.DataObject) -> None:
    ps = data.draw(proposal_sets(max_n=5))
    rules = data.draw(rule_sets(ps, schedule=True))
    check_against_oracle(ps, rules, "highs")


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_budget_only_twelve(data: st.DataObject) -> None:
    """Budget only at the largest oracle size used here (n = 12)."""
    ps = data.draw(proposal_sets(max_n=12))
    total = sum(int(c) for c in ps.frame["cost_minor"]) / 100
    budget = data.draw(st.integers(0, int(total)))
    rules = Rules(budget=budget, eligibility=Eligibility(require_indicator=False),
                  completion=None)
    check_against_oracle(ps, rules, "highs")
