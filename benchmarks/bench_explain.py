"""Benchmark: explaining every runner-up of the bundled example.

Loads ``examples/proposals.csv`` with ``examples/rules.toml`` (when the rules file is not
there yet: a budget of a quarter of the proposals' total cost and a 30 % cost cap per
domain), solves once, then explains runner-ups with :func:`selector.explain`:
every runner-up's blocking rules, verified entry budget, cost cut, beneficiaries rise and
forced-in loss (``quick``: the first 2 runner-ups only). One row per solver and executor
(CBC sequential and on a 2-thread pool, HiGHS on a 2-thread pool: CBC runs as a
subprocess and HiGHS releases the GIL, so threads overlap).

Each row records the call size, runner-ups explained, re-solves run, seconds and seconds
per runner-up. Timings drift on a shared machine: compare rows of one run.

Run: ``python benchmarks/bench_explain.py [--quick]``.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

from selector import SolverError, explain, load_proposals, load_rules
from selector.engine import Model
from selector.rules import GroupRule, Rules

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _inputs() -> tuple[Any, Rules, str]:
    proposals = load_proposals(EXAMPLES / "proposals.csv")
    rules_file = EXAMPLES / "rules.toml"
    if rules_file.exists():
        return proposals, load_rules(rules_file), "examples/rules.toml"
    total = Decimal(int(proposals.frame["cost_minor"].sum())) / 100
    rules = Rules(budget=(total / 4).quantize(Decimal(1)),
                  groups=(GroupRule(column="domain", max_share=0.3),))
    return proposals, rules, "budget = total/4, 30 % cap per domain"


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Explain the runner-ups of the bundled example; one row per solver and executor.

    Returns
    -------
    list of dict
        ``case, solver, workers, n, runner_ups, solves, seconds, s_per_runner_up, rules``
        (``error`` instead of the counts when a re-solve failed).
    """
    proposals, rules, source = _inputs()
    rows: list[dict[str, Any]] = []
    plans = [("cbc", 1)] if quick else [("cbc", 1), ("cbc", 2), ("highs", 2)]
    for solver, workers in plans:
        model = Model.build(proposals, rules, solver="highs" if solver == "highs" else "cbc")
        base = model.solve()
        runners = [i for i, ok in zip(model.problem.index, model.eligible, strict=True)
                   if ok and i not in base.selected]
        ids = runners[:2] if quick else runners
        t0 = time.perf_counter()
        row: dict[str, Any] = {"case": "explain runner-ups", "solver": solver,
                               "workers": workers, "n": len(proposals), "rules": source}
        try:
            if workers > 1:
                with ThreadPoolExecutor(workers) as pool:
                    ex = explain(base, ids, executor=pool, rules=False)
            else:
                ex = explain(base, ids, rules=False)
        except SolverError as exc:        # recorded, not hidden: e.g. a solver tolerance
            row.update(error=str(exc)[:160], seconds=round(time.perf_counter() - t0, 2))
            rows.append(row)
            continue
        seconds = time.perf_counter() - t0
        row.update(runner_ups=len(ex.runners_up), solves=ex.solves, seconds=round(seconds, 2),
                   s_per_runner_up=round(seconds / max(1, len(ex.runners_up)), 3))
        rows.append(row)
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv[1:]):
        print(row)
