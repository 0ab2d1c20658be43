"""Three years of the rolling reserve, end to end, on SQLite and PostgreSQL.

Year 1 selects and reserves; year 2 carries the reserve over (a re-submission is merged,
some entries win, the rest age), a mid-year cancellation is backfilled from the reserve
within the freed money and the breadth rules (checked against an independent solve);
year 3 expires the oldest entries. The audit history explains every status change.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from selector import ReserveError
from selector.datasets import generate_call
from selector.engine import Model, select
from selector.io import load_proposals, save_proposals
from selector.model import ProposalSet
from selector.reserve import (
    Candidate,
    ReserveStore,
    RollingPolicy,
    RunnerUps,
    RunRecord,
    ScoringConfig,
    backfill,
    carry_over,
    normalise_title,
    proposal_snapshot,
    reserve_year,
    score_runner_ups,
)
from selector.result import Selection
from selector.rules import Force, GroupRule, Rules

# The engine's CBC call warns under PuLP 3.3.2 (a PuLP 4 deprecation); not this suite's concern.
pytestmark = pytest.mark.filterwarnings("ignore:PULP_CBC_CMD is deprecated:DeprecationWarning")

RULES = Rules(budget=2_500_000, groups=(GroupRule(column="domain", max_share=0.4),))
CONFIG = ScoringConfig(top_n=8, resolve_limit=10, entry_budget_limit=3)
POLICY = RollingPolicy(decay=0.8, expire_after=2)

#: scoring is a pure function of (model, base): computed once, shared by both databases
_SCORED: dict[Any, RunnerUps] = {}


def _score(model: Model, base: Selection) -> RunnerUps:
    key = (tuple(model.proposals.ids), base.selected, float(base.objective))
    if key not in _SCORED:
        _SCORED[key] = score_runner_ups(model, base, CONFIG)
    return _SCORED[key]


def _resubmit(year2: ProposalSet, old: ProposalSet, pid: str) -> ProposalSet:
    """Year 2's call with ``pid`` of year 1 submitted again: new id, re-typed title, new cost."""
    row = old.frame.loc[old.frame["id"] == pid].copy()
    row["id"] = "2026-R001"
    row["title"] = "  " + str(row["title"].iat[0]).replace("区", "区 ") + "！ "
    row["cost_minor"] = row["cost_minor"] - 1_000_00
    frame = pd.concat([year2.frame, row], ignore_index=True)
    return year2.replace_frame(frame)


def _domain_shares(proposals: ProposalSet, ids: tuple[str, ...]) -> dict[str, float]:
    frame = proposals.frame.set_index("id").loc[list(ids)]
    total = frame["cost_minor"].sum()
    return {d: float(c) / float(total) for d, c in frame.groupby("domain")["cost_minor"].sum().items()}


def test_three_years_of_the_reserve(reserve_db_url: str) -> None:
    store = ReserveStore(reserve_db_url, lang="en")
    call1, ranked1 = _year_one(store)
    base2, rules2 = _year_two(store, call1, ranked1)
    _mid_year_backfill(store, base2, rules2)
    _year_three(store)
    _audit_history(store)
    store.close()


def _year_one(store: ReserveStore) -> tuple[ProposalSet, RunnerUps]:
    """Year 1: select and reserve."""
    call1 = generate_call(40, seed=1, year=2025)
    co1 = carry_over(store, 2025, call1, POLICY)
    assert (co1.carried, co1.expired, len(co1.pool)) == ([], [], 40)
    model1 = Model.build(co1.pool, RULES)
    base1 = model1.solve()
    ranked1 = _score(model1, base1)
    year1 = reserve_year(store, 2025, base1, ranked1, decay=POLICY.decay)
    assert [e.proposal_id for e in year1] == list(ranked1.reserve)
    assert not set(ranked1.reserve) & set(base1.selected)
    assert [e.rank for e in year1] == list(range(1, len(year1) + 1))
    assert all(e.score == pytest.approx(ranked1.scores[e.proposal_id]) for e in year1)
    assert store.runs(2025)[0].result["selected"] == list(base1.selected)
    return call1, ranked1


def _year_two(store: ReserveStore, call1: ProposalSet, ranked1: RunnerUps
              ) -> tuple[Selection, Rules]:
    """Year 2: carry over, merge a re-submission, some win, some age."""
    resubmitted = ranked1.reserve[1]
    call2 = _resubmit(generate_call(40, seed=2, year=2026), call1, resubmitted)
    co2 = carry_over(store, 2026, call2, POLICY)
    assert co2.expired == []
    assert co2.resubmitted[resubmitted] == "2026-R001"
    pool_ids = co2.pool.ids
    assert len(pool_ids) == len(set(pool_ids))                     # nothing duplicated
    assert resubmitted not in pool_ids and "2026-R001" in pool_ids
    assert co2.pool["2026-R001"].cost == call1[resubmitted].cost - 1000  # the new cost
    titles = [normalise_title(t) for t in co2.pool.frame["title"]]
    for e in co2.carried:
        assert e.year == 2026 and e.origin_year == 2025
        assert e.score == pytest.approx(e.base_score * POLICY.decay)
        assert e.proposal_id in pool_ids
        assert titles.count(e.normalised_title) >= 1
    since = co2.pool.frame.set_index("id")["reserve_since"]
    assert {i for i, v in since.items() if v == 2025} == {e.proposal_id for e in co2.carried}

    rules2 = RULES.with_budget(3_500_000)
    model2 = Model.build(co2.pool, rules2)
    base2 = model2.solve()
    carried = {e.proposal_id for e in co2.carried}
    winners = carried & set(base2.selected)
    assert winners and carried - winners        # some reserve entries win, some do not
    ranked2 = _score(model2, base2)
    year2 = {e.proposal_id: e for e in reserve_year(store, 2026, base2, ranked2,
                                                    decay=POLICY.decay)}
    for pid in winners:
        assert year2[pid].status == "promoted"
        assert "selected in the 2026 selection" in year2[pid].reason
    aged = [year2[p] for p in carried - winners if p in ranked2.reserve]
    assert aged
    for e in aged:   # re-scored this year, then aged one year
        assert e.status == "reserved"
        assert e.base_score == pytest.approx(ranked2.scores[e.proposal_id])
        assert e.score == pytest.approx(e.base_score * POLICY.decay)
    for pid in carried - winners - set(ranked2.reserve):
        assert year2[pid].status == "expired" and "ranked out" in year2[pid].reason
    reserved2 = [e for e in year2.values() if e.status == "reserved"]
    order = sorted(reserved2, key=lambda e: (-e.score, e.proposal_id))
    assert [e.rank for e in order] == list(range(1, len(order) + 1))
    return base2, rules2


def _mid_year_backfill(store: ReserveStore, base2: Selection, rules2: Rules) -> None:
    """Mid-year: the most expensive project is cancelled, another under-spends."""
    costs = {i: base2.proposals[i].cost for i in base2.selected}
    cancel = max(costs, key=lambda i: costs[i])
    under = min(costs, key=lambda i: costs[i])
    spend = (costs[under] * Decimal("0.8")).quantize(Decimal("0.01"))
    before = {e.proposal_id for e in store.entries(2026, "reserved")}
    result = backfill(store, 2026, base2, cancelled=[cancel], spent={under: spend})
    freed = costs[cancel] + costs[under] - spend
    assert result.freed == freed
    ongoing = tuple(i for i in base2.selected if i != cancel)
    assert result.ongoing == ongoing and result.cancelled == (cancel,)
    assert result.budget == sum((costs[i] for i in ongoing), Decimal(0)) - costs[under] + spend + freed
    assert result.replacements and set(result.replacements) <= before
    chosen = set(result.selection.selected)
    assert set(ongoing) <= chosen and cancel not in chosen
    assert chosen - set(ongoing) == set(result.replacements)
    assert result.selection.total_cost <= result.budget
    new_money = sum((base2.proposals[i].cost for i in result.replacements), Decimal(0))
    assert new_money <= freed      # replacements fit in the freed money
    for share in _domain_shares(result.selection.proposals, result.selection.selected).values():
        assert share <= 0.4 + 1e-9   # the same breadth rules
    # an independent solve of the same question agrees on the optimum
    pool = base2.proposals.subset([*ongoing, *before])
    frame = pool.frame.copy()
    frame.loc[frame["id"] == under, "cost_minor"] = int(spend * 100)
    independent = select(pool.replace_frame(frame), rules2.model_copy(update={
        "force_in": tuple(Force(id=i, reason="under way") for i in ongoing)}),
        budget=result.budget)
    assert independent.objective == pytest.approx(result.selection.objective)
    assert set(independent.selected) - set(ongoing) <= before
    for pid in result.replacements:
        e = store.entry(2026, pid)
        assert e.status == "promoted" and f"replaces cancelled {cancel}" in e.reason
    assert store.runs(2026)[-1].kind == "backfill"
    with pytest.raises(ReserveError, match="already promoted"):
        store.promote(2026, result.replacements[:1], reason="twice")


def _year_three(store: ReserveStore) -> None:
    """Year 3: the oldest entries expire."""
    left = {e.proposal_id: e for e in store.entries(2026, "reserved")}
    assert any(e.origin_year == 2025 for e in left.values())
    co3 = carry_over(store, 2027, generate_call(30, seed=3, year=2027), POLICY)
    assert {e.proposal_id for e in co3.expired} == {p for p, e in left.items()
                                                      if e.origin_year == 2025}
    assert {e.proposal_id for e in co3.carried} == {p for p, e in left.items()
                                                      if e.origin_year == 2026}
    for e in co3.expired:
        assert e.status == "expired" and "2-year limit" in e.reason
        assert e.proposal_id not in co3.pool.ids
    for e in co3.carried:
        assert e.score == pytest.approx(e.base_score * POLICY.decay)
        assert e.proposal_id in co3.pool.ids


def _audit_history(store: ReserveStore) -> None:
    """The audit history explains every status change."""
    for e in store.entries():
        changes = store.history(entry_id=e.id)
        assert changes[0].old_status is None and changes[0].action == "reserved"
        state = None
        for c in changes:
            assert c.old_status == state, (e.proposal_id, c)
            assert c.reason.strip() and c.actor.strip()
            state = c.new_status
        assert state == e.status
    resub = next(e for e in store.entries() if e.proposal_id == "2026-R001")
    assert any("re-submitted as '2026-R001'" in c.reason
               for c in store.history(entry_id=resub.id))


def test_resubmission_keeps_stored_data_when_asked(tmp_path: Any) -> None:
    store = ReserveStore(f"sqlite:///{tmp_path / 'r.sqlite'}", lang="en")
    call1 = generate_call(40, seed=1, year=2025)
    model1 = Model.build(call1, RULES)
    base1 = model1.solve()
    ranked1 = _score(model1, base1)
    reserve_year(store, 2025, base1, ranked1)
    pid = ranked1.reserve[1]
    call2 = _resubmit(generate_call(40, seed=2, year=2026), call1, pid)
    co = carry_over(store, 2026, call2, RollingPolicy(update_resubmissions=False))
    assert co.pool["2026-R001"].cost == call1[pid].cost   # the stored cost, under the new id
    assert co.pool.ids.count("2026-R001") == 1
    assert np.isnan(co.pool.frame.set_index("id").at["2026-0001", "reserve_since"])
    store.close()


def test_backfill_refuses_bad_input_and_writes_nothing(tmp_path: Any) -> None:
    from selector import InvalidInputError, Proposal

    ps = ProposalSet.from_proposals([
        Proposal(id=f"P{k}", title=f"项目{k}", domain=d, cost=c, beneficiaries=b,
                 indicators=[{"name": "served", "target": b}])
        for k, (d, c, b) in enumerate([("health", 50, 500), ("skills", 40, 300),
                                       ("health", 30, 200), ("life", 45, 260)])])
    rules = Rules(budget=90, groups=(GroupRule(column="domain", max_share=0.6),))
    model = Model.build(ps, rules)
    base = model.solve()
    store = ReserveStore(f"sqlite:///{tmp_path / 'r.sqlite'}", lang="en")
    reserve_year(store, 2025, base, score_runner_ups(model, base))
    before = (store.entries(), store.history(), store.runs())
    with pytest.raises(InvalidInputError) as err:
        backfill(store, 2025, base, cancelled=["P3", "nope"], spent={base.selected[0]: 10**6})
    assert len(err.value.problems) >= 2
    assert (store.entries(), store.history(), store.runs()) == before
    # a valid backfill: the cancelled project's money goes to the best reserve entries
    result = backfill(store, 2025, base, cancelled=[base.selected[0]], record=False)
    assert result.promoted == [] and (store.entries(), store.history()) == before[:2]
    assert set(result.replacements) <= {e.proposal_id for e in store.entries(2025)}
    store.close()


def test_carried_pool_saves_and_loads_with_only_valid_references(reserve_db_url: str,
                                                                   tmp_path: Any) -> None:
    """Last year's entries name proposals that are not in the new pool: the pool keeps only
    the references it can honour, and saves to CSV and loads back without errors."""
    from selector import Proposal

    def prop(pid: str, *, requires: tuple[str, ...] = (), excludes: tuple[str, ...] = (),
             title: str | None = None) -> Proposal:
        return Proposal(id=pid, title=title or f"项目 {pid}", domain="health", cost=1000,
                        beneficiaries=50, requires=requires, excludes=excludes)

    last = ProposalSet.from_proposals([
        prop("25-F"),                                        # funded in 2025
        prop("25-G"),                                        # missed, not reserved: gone
        prop("25-R1", requires=("25-F",)),                   # requirement met by funding
        prop("25-R2", requires=("25-G",)),                   # can never be selected
        prop("25-R3", requires=("25-R4",), excludes=("25-G", "25-R1")),
        prop("25-R4", requires=("25-R6",), excludes=("25-R2",)),
        prop("25-R5", requires=("25-R2",)),                  # requires one left out
        prop("25-R6", title="社区 食堂"),                     # re-submitted as 26-R6
    ])
    reserved = ["25-R1", "25-R2", "25-R3", "25-R4", "25-R5", "25-R6"]
    store = ReserveStore(reserve_db_url, lang="en")
    store.reserve(2025, [Candidate(p, last[p].title, 0.5, proposal_snapshot(last, p))
                         for p in reserved],
                  run=RunRecord(year=2025, kind="selection", input_hash=RunRecord.digest(1),
                                rules={}, solver="cbc", result={"selected": ["25-F"]}))
    new = ProposalSet.from_proposals([prop("26-N1", excludes=("25-R3",)),
                                      prop("26-R6", title="社区食堂！")])
    co = carry_over(store, 2026, new, POLICY)

    assert co.resubmitted == {"25-R6": "26-R6"}
    assert co.left_out == {"25-R2": ("25-G",), "25-R5": ("25-R2",)}
    assert co.requirements_met == {"25-R1": ("25-F",)}
    assert {e.proposal_id for e in co.carried} == {*reserved[:5], "26-R6"}  # all carried
    frame = co.pool.frame.set_index("id")
    assert sorted(frame.index) == ["25-R1", "25-R3", "25-R4", "26-N1", "26-R6"]
    refs = {pid: (frame.at[pid, "requires"], frame.at[pid, "excludes"]) for pid in frame.index}
    assert refs == {
        "25-R1": ((), ()),                                   # met requirement dropped
        "25-R3": (("25-R4",), ("25-R1",)),                   # valid references stay
        "25-R4": (("26-R6",), ()),                           # follows the re-submission
        "26-N1": ((), ("25-R3",)),
        "26-R6": ((), ()),
    }
    path = tmp_path / "pool-2026.csv"
    save_proposals(co.pool, path)
    loaded = load_proposals(path)                            # no dangling-reference error
    assert loaded.ids == co.pool.ids
    back = loaded.frame.set_index("id")
    assert {pid: (back.at[pid, "requires"], back.at[pid, "excludes"])
            for pid in back.index} == refs
    Model.build(loaded, Rules(budget=3000)).solve()          # and it solves
    store.close()


def test_a_second_backfill_builds_on_the_first(reserve_db_url: str) -> None:
    """Two cancellations in one year: the second backfill keeps the first one's replacements
    under way, keeps its cancellation and under-spend, and has the money left over."""
    from selector import InvalidInputError

    store = ReserveStore(reserve_db_url, lang="en")
    call = generate_call(40, seed=1, year=2025)
    model = Model.build(call, RULES)
    base = model.solve()
    reserve_year(store, 2025, base, _score(model, base))
    costs = {i: base.proposals[i].cost for i in base.selected}
    by_cost = sorted(costs, key=lambda i: (-costs[i], i))
    first, second, under = by_cost[0], by_cost[1], by_cost[-1]
    spend = (costs[under] * Decimal("0.5")).quantize(Decimal("0.01"))
    planned = sum(costs.values(), Decimal(0))

    b1 = backfill(store, 2025, base, cancelled=[first], spent={under: spend})
    assert (b1.earlier, b1.budget, b1.cancelled) == (0, planned, (first,))
    assert b1.replacements and b1.available == b1.freed == costs[first] + costs[under] - spend
    reserved = {e.proposal_id for e in store.entries(2025, "reserved")}

    b2 = backfill(store, 2025, base, cancelled=[second], extra=10_000)
    chosen = set(b2.selection.selected)
    assert b2.earlier == 1 and b2.cancelled == (second,) and b2.freed == costs[second]
    assert b2.ongoing == tuple(i for i in b1.selection.selected if i != second)
    assert set(b1.replacements) <= chosen                 # under way: kept
    assert first not in chosen and second not in chosen   # cancelled stays cancelled
    assert b2.selection.proposals[under].cost == spend    # the under-spend stays in effect
    assert b2.budget == planned + 10_000                  # the year's money, plus the extra
    left_by_b1 = b1.budget - b1.selection.total_cost
    assert b2.available == left_by_b1 + costs[second] + 10_000   # nothing freed is lost
    assert b2.replacements and set(b2.replacements) <= reserved
    assert chosen - set(b2.ongoing) == set(b2.replacements)
    assert sum((base.proposals[i].cost for i in b2.replacements), Decimal(0)) <= b2.available
    assert b2.selection.total_cost <= planned + 10_000
    for share in _domain_shares(b2.selection.proposals, b2.selection.selected).values():
        assert share <= 0.4 + 1e-9
    # an independent solve of the same question agrees on the optimum
    pool = base.proposals.subset([*b2.ongoing, *reserved])
    frame = pool.frame.copy()
    frame.loc[frame["id"] == under, "cost_minor"] = int(spend * 100)
    independent = select(pool.replace_frame(frame), RULES.model_copy(update={
        "force_in": tuple(Force(id=i, reason="under way") for i in b2.ongoing)}),
        budget=b2.budget)
    assert independent.objective == pytest.approx(b2.selection.objective)
    for pid in b2.replacements:
        assert store.entry(2025, pid).status == "promoted"
    assert [r.kind for r in store.runs(2025)] == ["selection", "backfill", "backfill"]

    # a third: the first cancellation cannot be repeated; a replacement can be cancelled
    with pytest.raises(InvalidInputError, match="already cancelled in an earlier 2025"):
        backfill(store, 2025, base, cancelled=[first])
    b3 = backfill(store, 2025, base, cancelled=[b1.replacements[0]], record=False)
    assert b3.earlier == 2 and b1.replacements[0] not in b3.selection.selected
    assert set(b2.replacements) <= set(b3.selection.selected)
    # a decision taken before another run was recorded is refused, and writes nothing
    before = (store.entries(), store.history(), store.runs())
    with pytest.raises(ReserveError, match="another run of 2025 was recorded"):
        store.set_status(2025, b2.replacements[:0], "promoted", reason="stale", expect_runs=2)
    assert (store.entries(), store.history(), store.runs()) == before
    store.close()


# -- keys stable across years ---------------------------------------------------------------------
def _recorded_2026(url: str) -> tuple[ReserveStore, ProposalSet, RunnerUps]:
    store = ReserveStore(url, lang="en")
    call = generate_call(40, seed=1, year=2026)
    model = Model.build(call, RULES)
    base = model.solve()
    ranked = _score(model, base)
    reserve_year(store, 2026, base, ranked)
    return store, call, ranked


def test_ids_reused_by_a_new_call_never_merge_with_the_reserve(reserve_db_url: str) -> None:
    """A 2027 call generated with 2026's ids: every carried entry whose id a different new
    proposal took keeps its own data under ``<id>@2026``, reported as a collision, with its
    history; nothing is merged unless the titles agree; running the carry again changes
    nothing and gives the same pool."""
    store, call, ranked = _recorded_2026(reserve_db_url)
    new = generate_call(40, seed=9, year=2026)            # ids 2026-0001.. again
    stored = {e.proposal_id: e for e in store.entries(2026, "reserved")}
    same = {pid for pid in stored if pid in new.ids
            and normalise_title(new[pid].title) == stored[pid].normalised_title}
    assert len(set(stored) & set(new.ids) - same) >= len(stored) // 2   # the case at hand

    co = carry_over(store, 2027, new, POLICY)
    taken = set(stored) & set(new.ids) - same
    assert co.collisions and set(co.collisions) | set(co.resubmitted) >= taken
    assert co.collisions == {pid: f"{pid}@2026" for pid in co.collisions}
    for old, nid in co.resubmitted.items():   # another id, same title: re-submitted
        assert normalise_title(new[nid].title) == stored[old].normalised_title
    for pid in co.collisions:                  # same id, another title: a collision
        assert normalise_title(new[pid].title) != stored[pid].normalised_title
    frame = co.pool.frame.set_index("id")
    assert len(co.pool) == len(new) + len(stored) - len(same) - len(co.resubmitted)
    for pid, key in co.collisions.items():
        assert (co.pool[pid].title, co.pool[pid].cost) == (new[pid].title, new[pid].cost)
        assert co.pool[key].title == call[pid].title      # the carried one, its own data
        assert co.pool[key].cost == call[pid].cost
        assert frame.at[key, "reserve_since"] == 2026 and np.isnan(frame.at[pid, "reserve_since"])
        entry = store.entry(2027, key)
        (carried,) = [c for c in store.history(entry_id=entry.id) if c.action == "carried"]
        assert f"its id '{pid}' is taken in 2027 by another proposal: kept as '{key}'" \
            in carried.reason
        assert store.history(entry_id=entry.id)[0].proposal_id == pid    # history kept
    for pid in same:
        assert frame.at[pid, "reserve_since"] == 2026     # the same proposal, once
    carried_ids = {e.proposal_id for e in co.carried}
    old_rows = frame.index[frame["reserve_since"].notna() & ~frame.index.isin(list(same))]
    for key in old_rows:                                  # last year's references stay there
        for ref in (*frame.at[key, "requires"], *frame.at[key, "excludes"]):
            assert ref in carried_ids, (key, ref)

    before = (store.entries(), store.history(), store.runs())
    again = carry_over(store, 2027, new, POLICY)          # run again: same pool, no writes
    assert (store.entries(), store.history(), store.runs()) == before
    assert again.pool == co.pool and again.carried == [] and again.collisions == {}
    assert {e.proposal_id for e in again.earlier} == carried_ids

    model = Model.build(co.pool, RULES.with_budget(3_500_000))   # the keys solve like ids
    base = model.solve()
    year = reserve_year(store, 2027, base, _score(model, base))
    status = {e.proposal_id: e.status for e in year}
    for key in co.collisions.values():
        assert status[key] == ("promoted" if key in base.selected else status[key])
    store.close()


def test_only_entries_that_competed_are_ranked_out(reserve_db_url: str) -> None:
    """`reserve_year` on a call that lacks the carried entries (the pool was never written)
    leaves them reserved; the same call again records nothing twice."""
    store, _, _ = _recorded_2026(reserve_db_url)
    carry_over(store, 2027, generate_call(30, seed=3, year=2027), POLICY)
    raw = generate_call(30, seed=3, year=2027)             # not the pool: no carried entry
    carried = {e.proposal_id for e in store.entries(2027, "reserved")} - set(raw.ids)
    assert carried
    model = Model.build(raw, RULES)
    base = model.solve()
    ranked = _score(model, base)
    after = {e.proposal_id: e for e in reserve_year(store, 2027, base, ranked)}
    assert all(after[p].status == "reserved" for p in carried)
    assert not [c for c in store.history(year=2027) if c.action == "expired"]
    before = (store.entries(), store.history(), store.runs())
    reserve_year(store, 2027, base, ranked)                # the same command again
    assert (store.entries(), store.history(), store.runs()) == before
    reserve_year(store, 2027, base, ranked, reason="again, on purpose")   # another request
    assert len(store.runs(2027)) == 2
    store.close()


def test_the_same_backfill_again_records_nothing(tmp_path: Any) -> None:
    store, call, _ = _recorded_2026(f"sqlite:///{tmp_path / 'r.sqlite'}")
    base = Model.build(call, RULES).solve()
    dearest = max(base.selected, key=lambda i: (base.proposals[i].cost, i))
    first = backfill(store, 2026, base, cancelled=[dearest])
    before = (store.entries(), store.history(), store.runs())
    again = backfill(store, 2026, base, cancelled=[dearest])       # e.g. run after a kill
    assert (store.entries(), store.history(), store.runs()) == before
    assert again.replacements == first.replacements and again.freed == first.freed
    assert again.selection.selected == first.selection.selected
    assert [e.proposal_id for e in again.promoted] == list(first.replacements)
    with pytest.raises(ReserveError, match="does not reproduce the 2026 selection"):
        backfill(store, 2026, Model.build(call, RULES.with_budget(900_000)).solve(),
                 cancelled=[dearest])
    store.close()
