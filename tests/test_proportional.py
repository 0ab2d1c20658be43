"""The proportional comparison: MES on a hand-computed instance, MES equal to pabutools' own
pipeline on the shared Pabulib files, ballot files, every list checked against the rules,
and the command line."""

from __future__ import annotations

import csv
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from selector import InvalidInputError, Proposal, ProposalSet, Rules, greedy, load_pabulib
from selector.cli import main
from selector.engine import rules_from_pabulib
from selector.io import load_proposals
from selector.proportional import (
    Ballots,
    ballots_from_frame,
    ballots_from_pabulib,
    broken_rules,
    compare_rules,
    load_ballots,
    mes,
)
from selector.rules import Eligibility, GroupRule
from selector.scenarios import SolveOptions

pytest.importorskip("pabutools")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PABULIB = Path(__file__).resolve().parents[2] / "shared" / "data" / "pabulib"


def _blocs() -> tuple[ProposalSet, Ballots]:
    """Six voters approve x1, x2, x3 and four approve y1, y2; every project costs 2."""
    ps = ProposalSet.from_proposals([
        Proposal(id=pid, domain="health" if pid[0] == "x" else "skills", cost=2,
                 beneficiaries=6 if pid[0] == "x" else 4)
        for pid in ("x1", "x2", "x3", "y1", "y2")])
    ballots = Ballots(tuple(f"v{k}" for k in range(10)),
                      tuple(("x1", "x2", "x3") if k < 6 else ("y1", "y2") for k in range(10)))
    return ps, ballots


def test_mes_gives_each_bloc_its_share_where_the_optimum_does_not() -> None:
    ps, ballots = _blocs()
    rules = Rules(budget=6, eligibility=Eligibility(require_indicator=False), completion=None)
    # by hand: at 0.6 per voter the x-bloc (3.6) buys one x, the y-bloc (2.4) one y; at 0.7
    # the x-bloc (4.2) buys a second x: 6 spent, exhaustive. Ties among x's go to the name.
    assert mes(ps, ballots, 6) == ("x1", "x2", "y1")
    result = compare_rules(ps, rules, ballots=ballots)
    assert result.list_of("mes").selected == ("x1", "x2", "y1")
    assert result.list_of("ilp").selected == ("x1", "x2", "x3")   # 18 supporters, the optimum
    assert result.list_of("greedy").selected == ("x1", "x2", "x3")
    assert result.list_of("mes").coverage == 1.0
    assert result.list_of("ilp").coverage == pytest.approx(0.6)
    assert result.list_of("ilp").beneficiaries == 18 > result.list_of("mes").beneficiaries == 16
    by = result.by_group.set_index(["dimension", "group", "rule"])
    assert by.loc[("domain", "skills", "mes"), "cost"] == Decimal(2)
    assert by.loc[("domain", "skills", "ilp"), "cost"] == Decimal(0)
    # every list under a rule MES does not know: at most 50 % of the money in one domain
    capped = rules.model_copy(update={"groups": (GroupRule(column="domain", measure="cost",
                                                           max_share=0.5),)})
    result = compare_rules(ps, capped, ballots=ballots)
    assert len(result.list_of("mes").broken) == 1
    assert result.list_of("ilp").broken == ()


def test_compare_rules_takes_solve_options_or_their_shorthands() -> None:
    ps, ballots = _blocs()
    rules = Rules(budget=6, eligibility=Eligibility(require_indicator=False), completion=None)
    for kwargs in ({"options": SolveOptions(solver="highs", time_limit=30)},
                   {"solver": "highs", "gap": 0.0}, {}):
        ilp = compare_rules(ps, rules, ballots=ballots, compare=["ilp"], **kwargs).list_of("ilp")
        assert (ilp.selected, ilp.beneficiaries) == (("x1", "x2", "x3"), 18), kwargs
    with pytest.raises(TypeError, match="'workers'"):
        compare_rules(ps, rules, ballots=ballots, workers=2)
    with pytest.raises(InvalidInputError):
        compare_rules(ps, rules, ballots=ballots, solver="glpk")


def _approval_files(max_voters: int) -> list[Path]:
    manifest = PABULIB / "manifest.csv"
    if not manifest.exists():
        return []
    with manifest.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [PABULIB / r["file"] for r in rows
            if r["vote_type"] in ("approval", "choose-1") and int(r["num_voters"]) <= max_voters]


#: Approval files with up to 2,000 voters here (about half of the 70); the benchmark script
#: (benchmarks/proportional.py) checks all 70 and records it in benchmarks/PROPORTIONAL.md.
@pytest.mark.parametrize("path", _approval_files(2000), ids=lambda p: p.stem[:60])
def test_mes_equals_pabutools_on_pabulib(path: Path, pabulib_dir: Path) -> None:
    from pabutools.election import Cost_Sat, parse_pabulib
    from pabutools.fractions import frac
    from pabutools.rules import (
        completion_by_rule_combination,
        greedy_utilitarian_welfare,
        method_of_equal_shares,
    )

    instance, profile = parse_pabulib(str(path))
    step = frac(instance.budget_limit, 100 * profile.num_ballots())
    theirs = completion_by_rule_combination(
        instance, profile.as_multiprofile(),
        [method_of_equal_shares, greedy_utilitarian_welfare],
        [{"sat_class": Cost_Sat, "voter_budget_increment": step}, {"sat_class": Cost_Sat}])
    proposals = load_pabulib(path)            # ours: our loader, our ballot reader, our budget
    rules = rules_from_pabulib(proposals.meta, proposals)
    result = compare_rules(proposals, rules, ballots=ballots_from_pabulib(path), compare=["mes"])
    assert sorted(result.list_of("mes").selected) == sorted(p.name for p in theirs)


def test_non_approval_ballots_are_refused(pabulib_dir: Path) -> None:
    with (pabulib_dir / "manifest.csv").open(encoding="utf-8") as handle:
        other = next(r["file"] for r in csv.DictReader(handle) if r["vote_type"] == "cumulative")
    with pytest.raises(InvalidInputError, match="cumulative"):
        ballots_from_pabulib(pabulib_dir / other)


def test_ballot_file_with_chinese_headers_and_every_problem(tmp_path: Path) -> None:
    proposals = load_proposals(EXAMPLES / "proposals.csv")
    ids = proposals.ids
    good = tmp_path / "ballots.csv"
    pd.DataFrame({"职工编号": ["W1", "W2", "W3"],
                  "支持项目": [f"{ids[0]} | {ids[1]}", f"{ids[1]}、{ids[2]}", ""]}).to_csv(
        good, index=False, encoding="utf-8-sig")
    ballots = load_ballots(good, proposals)
    assert ballots.voters == ("W1", "W2", "W3")
    assert ballots.approvals == ((ids[0], ids[1]), (ids[1], ids[2]), ())
    assert ballots.approvals_of(ids[1]) == 2
    bad = pd.DataFrame({"voter_id": ["W1", "W1", ""], "approved": [ids[0], "NOPE", ids[3]]})
    with pytest.raises(InvalidInputError) as info:
        ballots_from_frame(bad, proposals, source="b.csv", lang="en")
    assert {(p.row, p.column) for p in info.value.problems} == {
        (3, "voter_id"), (3, "approved"), (4, "voter_id")}


def test_union_call_lists_are_checked_against_every_rule() -> None:
    proposals = load_proposals(EXAMPLES / "proposals.csv")
    from selector import load_rules

    rules = load_rules(EXAMPLES / "rules.toml")
    votes = proposals.frame["worker_votes"].fillna(0).astype(int).tolist()
    approvals = []   # voter k approves the proposals with more than k votes (a nested profile)
    for k in range(0, max(votes), 5):
        approvals.append(tuple(i for i, v in zip(proposals.ids, votes, strict=True) if v > k))
    ballots = Ballots(tuple(f"W{k}" for k in range(len(approvals))), tuple(approvals))
    result = compare_rules(proposals, rules, ballots=ballots, time_limit=60)
    ilp, grd, m = (result.list_of(n) for n in ("ilp", "greedy", "mes"))
    assert ilp.broken == ()
    assert grd.broken == greedy(proposals, rules).violations
    assert m.total_cost <= rules.total_budget
    for other in (grd, m):   # a list that keeps every rule never serves more than the optimum
        assert other.broken or other.beneficiaries <= ilp.beneficiaries
    assert any(b.family == "schedule" for b in m.broken)   # MES gives no start months
    assert broken_rules(proposals, rules, m.selected) == m.broken
    assert result.totals["rule"].tolist() == ["mes", "greedy", "ilp"]


def test_mes_without_ballots_or_pabutools_is_a_clear_error(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    ps, ballots = _blocs()
    with pytest.raises(InvalidInputError, match="--ballots"):
        compare_rules(ps, Rules(budget=6), compare=["mes"], lang="en")
    monkeypatch.setitem(sys.modules, "pabutools.election", None)
    with pytest.raises(InvalidInputError, match=r"selector\[proportional\]"):
        mes(ps, ballots, 6)


def test_cli_compare_rules_on_a_pabulib_file(capsys: pytest.CaptureFixture[str],
                                             pabulib_dir: Path) -> None:
    path = pabulib_dir / "Netherlands_Amsterdam_179.pb"
    code = main(["compare", str(path), "--rule", "mes", "--rule", "greedy", "--rule", "ilp",
                 "--lang", "en"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Equal Shares (MES)" in out and "Exact (ILP)" in out and "Voters covered" in out
    assert "the list of Equal Shares (MES) breaks" in out   # Amsterdam's per-category budgets
    code = main(["compare", str(EXAMPLES / "proposals.csv"), "--rule", "mes"])
    assert code == 1
    assert "--ballots" in capsys.readouterr().err
