"""Benchmark: budget sweeps that reuse the compiled model, against cold solves.

For each instance (the bundled example under its rules, and a generated 10,000-proposal
call under the same kind of rules), a 100-point budget sweep runs

- with one worker (this process: the model is built once, then re-solved per budget),
- with two worker processes (one build per chunk; process start-up included),
- and as the same number of cold solves (``selector.select`` per budget: build + solve).

Each row records the seconds, the cold/warm ratio (> 1: the sweep is cheaper than cold
solves) and how many points were proven optimal. One more row walks the exact frontier
of the example between two budgets (solves per breakpoint). ``quick=True`` runs 10
points on the example and on a 1,000-proposal call (a smoke run for the test suite).

Run: ``python benchmarks/bench_scenarios.py [--quick] [--solver cbc|highs] [--n N]
[--points K]``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import selector
from selector.datasets import generate_call
from selector.rules import GroupRule, Rules
from selector.scenarios import budget_grid, frontier, sweep

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "examples"


def _rules() -> Rules:
    """Breadth rules of the kind the example uses (a fallback without rules.toml)."""
    return Rules(groups=(GroupRule(column="domain", measure="cost", max_share=0.30),
                         GroupRule(column="domain", measure="count", min_total=Decimal(1))))


def _example() -> tuple[selector.ProposalSet, Rules]:
    csv, toml = EXAMPLES / "proposals.csv", EXAMPLES / "rules.toml"
    proposals = selector.load_proposals(csv) if csv.is_file() else generate_call(150, seed=2026)
    rules = selector.load_rules(toml) if toml.is_file() else _rules()
    return proposals, rules


def _grid(proposals: selector.ProposalSet, points: int) -> list[Decimal]:
    total = Decimal(int(proposals.frame["cost_minor"].sum())) / 100
    return budget_grid((total * Decimal("0.1")).quantize(Decimal(1)),
                       (total * Decimal("0.5")).quantize(Decimal(1)), points)


def _sweep_rows(name: str, proposals: selector.ProposalSet, rules: Rules, points: int,
                solver: str, time_limit: float, workers: tuple[int, ...] = (1, 2)
                ) -> list[dict[str, Any]]:
    budgets = _grid(proposals, points)
    start = time.perf_counter()
    for b in budgets:
        try:
            selector.select(proposals, rules, budget=b, solver=solver,  # type: ignore[arg-type]
                            time_limit=time_limit)
        except selector.SelectorError:
            pass
    cold = time.perf_counter() - start
    rows = []
    for n_workers in workers:
        start = time.perf_counter()
        table = sweep(proposals, rules, budgets, solver=solver, workers=n_workers,
                      time_limit=time_limit, progress=False)
        warm = time.perf_counter() - start
        rows.append({
            "benchmark": "sweep", "instance": name, "n": len(proposals), "points": points,
            "solver": solver, "time_limit": time_limit, "workers": n_workers, "sweep_s": round(warm, 2),
            "cold_s": round(cold, 2), "cold_over_sweep": round(cold / warm, 2),
            "optimal": int((table["status"] == "optimal").sum()),
            "errors": int((table["status"] == "error").sum()),
        })
    return rows


def _frontier_row(proposals: selector.ProposalSet, rules: Rules, solver: str,
                  width: Decimal, time_limit: float) -> dict[str, Any]:
    low = _grid(proposals, 3)[1]
    row: dict[str, Any] = {"benchmark": "frontier", "instance": "example",
                           "n": len(proposals), "solver": solver, "range_yuan": str(width)}
    start = time.perf_counter()
    try:
        result = frontier(proposals, rules, low=low, high=low + width, solver=solver,
                          time_limit=time_limit, progress=False)
    except selector.SelectorError as exc:  # recorded, not hidden: see the error column
        row.update(seconds=round(time.perf_counter() - start, 2), error=str(exc)[:200])
        return row
    steps = len(result.points)
    row.update(steps=steps, solves=result.solves,
               solves_per_step=round(result.solves / steps, 2),
               seconds=round(time.perf_counter() - start, 2), proven=result.proven)
    return row


def rows(quick: bool = False, solver: str = "cbc", n: int | None = None,
         points: int | None = None) -> Iterator[dict[str, Any]]:
    """The rows of :func:`run`, one at a time (``n`` / ``points`` override the sizes)."""
    points = points or (5 if quick else 100)
    time_limit = 10.0 if quick else 60.0
    proposals, rules = _example()
    yield from _sweep_rows("example", proposals, rules, points, solver, time_limit)
    n = n or (300 if quick else 10_000)
    yield from _sweep_rows(f"generated {n:,}", generate_call(n, seed=7), _rules(), points,
                           solver, time_limit, workers=(1,) if quick else (1, 2))
    yield _frontier_row(proposals, rules, solver,
                        Decimal(100_000 if quick else 2_000_000), time_limit)


def run(quick: bool = False, solver: str = "cbc") -> list[dict[str, Any]]:
    """Measure sweeps against cold solves; one row per instance and worker count.

    Parameters
    ----------
    quick:
        5 points on the example (1 and 2 workers) and on a 300-proposal call (1 worker)
        instead of 100 points and 10,000 proposals, and a narrow frontier: a smoke run.
    solver:
        ``"cbc"`` or ``"highs"``. Every solve has a time limit (10 s quick, 60 s full);
        points stopped by it count as not optimal.
    """
    return list(rows(quick, solver))


def _arg(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


if __name__ == "__main__":
    argv = sys.argv[1:]
    n_arg, points_arg = _arg(argv, "--n"), _arg(argv, "--points")
    for row in rows(quick="--quick" in argv, solver=_arg(argv, "--solver") or "cbc",
                    n=int(n_arg) if n_arg else None,
                    points=int(points_arg) if points_arg else None):
        print(row, flush=True)
