"""Real instances with known answers: OR-Library mknap1/mknap2 and Pabulib elections."""

from __future__ import annotations

import csv
import importlib.util
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from selector import ProposalSet, Rules, select
from selector.engine import rules_from_pabulib
from selector.model import CANONICAL_COLUMNS
from selector.rules import Eligibility, Resource

Instance = tuple[str, np.ndarray, np.ndarray, np.ndarray, float]


def read_mknap1(path: Path) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """mknap1 format: count; per problem ``n m opt``, n profits, m×n weights, m capacities."""
    tok = [float(t) for t in path.read_text().split()]
    count, pos, out = int(tok[0]), 1, []
    for _ in range(count):
        n, m, opt = int(tok[pos]), int(tok[pos + 1]), tok[pos + 2]
        pos += 3
        profit = np.array(tok[pos:pos + n])
        pos += n
        weights = np.array(tok[pos:pos + n * m]).reshape(m, n)
        pos += n * m
        caps = np.array(tok[pos:pos + m])
        pos += m
        out.append((profit, weights, caps, opt))
    return out


def read_mknap2(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """The benchmark's mknap2 reader (benchmarks/cases.py, one home for that format)."""
    spec = importlib.util.spec_from_file_location(
        "_bench_cases", Path(__file__).resolve().parents[1] / "benchmarks" / "cases.py")
    assert spec is not None and spec.loader is not None
    cases = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cases)
    return cases.read_mknap2(path)  # type: ignore[no-any-return]


def as_selection(profit: np.ndarray, weights: np.ndarray,
                 caps: np.ndarray) -> tuple[ProposalSet, Rules]:
    """Items as proposals costing nothing, each constraint a resource column."""
    n = len(profit)
    frame = pd.DataFrame({c: [None] * n for c in CANONICAL_COLUMNS})
    frame["id"] = [f"J{j:03d}" for j in range(n)]
    frame["title"] = ""
    frame["domain"] = "x"
    frame["cost_minor"] = np.zeros(n, dtype=np.int64)
    for c in ("beneficiaries_low", "beneficiaries_high", "duration_months", "earliest_start",
              "expert_score", "worker_score", "worker_votes", "completion_probability", "year"):
        frame[c] = np.nan
    frame["beneficiaries"] = profit.astype(float)
    for c in ("target_groups", "indicators", "pools", "requires", "excludes"):
        frame[c] = [()] * n
    frame = frame.astype({c: object for c in ("id", "title", "domain", "target_groups",
                                               "indicators", "pools", "requires", "excludes",
                                               "district", "variant_group", "proposer",
                                               "channel")})
    for i, row in enumerate(weights):
        frame[f"r{i}"] = row.astype(float)
    rules = Rules(resources=tuple(Resource(name=f"r{i}", column=f"r{i}", capacity=float(c))
                                  for i, c in enumerate(caps)),
                  eligibility=Eligibility(require_indicator=False), completion=None)
    return ProposalSet(frame), rules


def best_known(orlib: Path) -> dict[tuple[str, str], float]:
    with (orlib / "best_known.csv").open() as fh:
        return {(r["file"], r["index_in_file"]): float(r["best_known"])
                for r in csv.DictReader(fh)}


def test_mknap1_published_optima(orlib_dir: Path) -> None:
    known = best_known(orlib_dir)
    problems = read_mknap1(orlib_dir / "mknap1.txt")
    assert len(problems) == 7
    for k, (profit, weights, caps, opt) in enumerate(problems, start=1):
        assert known[("mknap1.txt", str(k))] == pytest.approx(opt)
        ps, rules = as_selection(profit, weights, caps)
        result = select(ps, rules, solver="highs")
        assert result.is_optimal
        assert result.objective == pytest.approx(opt, abs=1e-6), f"mknap1 #{k}"


def test_mknap2_published_optima(orlib_dir: Path) -> None:
    known = best_known(orlib_dir)
    problems = read_mknap2(orlib_dir / "mknap2.txt")
    assert len(problems) == 48
    for k, (name, (profit, weights, caps, opt)) in enumerate(problems.items(), start=1):
        assert known[("mknap2.txt", str(k))] == pytest.approx(opt), name
        ps, rules = as_selection(profit, weights, caps)
        result = select(ps, rules, solver="highs", time_limit=60)
        assert result.is_optimal, name
        assert result.objective == pytest.approx(opt, abs=1e-6), name


def test_mknap1_with_cbc(orlib_dir: Path) -> None:
    profit, weights, caps, opt = read_mknap1(orlib_dir / "mknap1.txt")[3]
    ps, rules = as_selection(profit, weights, caps)
    assert select(ps, rules, solver="cbc").objective == pytest.approx(opt)


# -- Pabulib --------------------------------------------------------------------------

def _approval_files(pabulib: Path) -> list[Path]:
    with (pabulib / "manifest.csv").open() as fh:
        return [pabulib / r["file"] for r in csv.DictReader(fh) if r["vote_type"] == "approval"]


def exact_budget_only(cost: np.ndarray, value: np.ndarray, budget: int) -> float:
    """The budget-only optimum by a direct highspy solve (nothing from selector.engine)."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.0)
    n = len(cost)
    inf = highspy.kHighsInf
    for j in range(n):
        h.addVar(0.0, 1.0)
        h.changeColCost(j, -float(value[j]))
        h.changeColIntegrality(j, highspy.HighsVarType.kInteger)
    h.addRow(-inf, float(budget), n, np.arange(n, dtype=np.int32), cost.astype(float))
    h.run()
    return -float(h.getInfo().objective_function_value)


def test_pabulib_approval_elections(pabulib_dir: Path) -> None:
    from selector.io import load_pabulib

    files = _approval_files(pabulib_dir)
    assert files
    for path in files:
        ps = load_pabulib(path)
        budget = ps.meta["budget"]
        rules = Rules(budget=budget, eligibility=Eligibility(require_indicator=False),
                      completion=None)
        result = select(ps, rules, solver="highs")
        cost = ps.frame["cost_minor"].to_numpy(dtype=np.int64)
        votes = ps.frame["beneficiaries"].to_numpy(dtype=float)
        budget_minor = int(Decimal(budget) * 100)
        assert result.is_optimal, path.name
        assert result.objective == pytest.approx(exact_budget_only(cost, votes, budget_minor),
                                                 abs=1e-6), path.name
        assert int(result.total_cost * 100) <= budget_minor
        if "selected" in ps.frame.columns:
            funded = ps.frame["selected"].to_numpy() == 1
            if cost[funded].sum() <= budget_minor:
                assert result.objective >= votes[funded].sum() - 1e-6, path.name


def test_amsterdam_category_budgets(pabulib_dir: Path) -> None:
    from selector.io import load_pabulib

    files = [p for p in sorted(pabulib_dir.glob("Netherlands_Amsterdam_*.pb"))
             if "budget_per_category" in p.read_text(encoding="utf-8")[:5000]]
    assert files
    for path in files:
        ps = load_pabulib(path)
        rules = rules_from_pabulib(ps.meta, ps)
        assert rules.groups, path.name
        limited = select(ps, rules, solver="highs")
        free = select(ps, rules.model_copy(update={"groups": ()}), solver="highs")
        assert limited.is_optimal
        assert limited.objective <= free.objective + 1e-9
        chosen = ps.frame["id"].isin(limited.selected).to_numpy()
        for rule in rules.groups:
            member = np.array([rule.values[0] in cats for cats in ps.frame["categories"]])
            spent = int(ps.frame["cost_minor"].to_numpy()[chosen & member].sum())
            assert spent <= int(Decimal(str(rule.max_total)) * 100), (path.name, rule.key)


@pytest.mark.parametrize("name", ["mknapcb1.txt", "mknapcb4.txt", "mknapcb7.txt"])
@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_mknapcb_reaches_best_known_or_states_an_honest_gap(orlib_dir: Path, name: str,
                                                            solver: str) -> None:
    with (orlib_dir / "best_known.csv").open() as fh:
        row = next(r for r in csv.DictReader(fh) if r["file"] == name)
    profit, weights, caps, _ = read_mknap1(orlib_dir / name)[int(row["index_in_file"]) - 1]
    ps, rules = as_selection(profit, weights, caps)
    result = select(ps, rules, solver=solver, time_limit=2.0)  # type: ignore[arg-type]
    best, lp = float(row["best_known"]), float(row["lp_bound"])
    assert result.objective <= lp + 1e-6          # nothing beats the LP relaxation
    assert result.bound >= best - 1e-6            # a bound below a known list would lie
    assert result.bound >= result.objective
    assert result.gap == pytest.approx((result.bound - result.objective) / result.objective)
    if result.is_optimal:
        assert result.objective >= best * (1 - 1e-6)
    else:
        assert result.status.value == "feasible" and result.gap > 1e-6
