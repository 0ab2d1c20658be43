"""Benchmark: explaining every runner-up of the bundled example.

Loads ``examples/proposals.csv`` with ``examples/rules.toml`` (when the rules file is not
there yet: a budget of a quarter of the proposals' total cost and a 30 % cost cap per
domain), solves once, then explains runner-ups with :func:`selector.explain`:
every runner-up's blocking rules, verified entry budget, cost cut, beneficiaries rise and
forced-in loss. Rows: one runner-up and all of them, with the example's ``[schedule]``
and without it (``quick``: one runner-up, schedule on). Every runner-up runs on a
2-thread pool (HiGHS releases the GIL, so the solves overlap).

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
    """Explain runner-ups of the bundled example, with and without its ``[schedule]``.

    Rows: one runner-up (sequential) and every runner-up (2 threads), each with the
    example's rules and with the schedule dropped; ``quick``: one runner-up, schedule on.
    Re-solves run as :func:`selector.explain` picks by default (HiGHS in-process on a
    model this small).

    Returns
    -------
    list of dict
        ``case, schedule, workers, n, runner_ups, solves, seconds, s_per_runner_up,
        rules`` (``error`` instead of the counts when a re-solve failed).
    """
    proposals, rules, source = _inputs()
    rows: list[dict[str, Any]] = []
    plans = [(True, "one", 1)] if quick else [
        (True, "one", 1), (False, "one", 1), (True, "all", 2), (False, "all", 2)]
    for schedule, which, workers in plans:
        case_rules = rules if schedule else rules.model_copy(update={"schedule": None})
        model = Model.build(proposals, case_rules)
        base = model.solve()
        runners = [i for i, ok in zip(model.problem.index, model.eligible, strict=True)
                   if ok and i not in base.selected]
        ids = runners[:1] if which == "one" else runners
        row: dict[str, Any] = {"case": f"explain {which} runner-up(s)",
                               "schedule": schedule and case_rules.schedule is not None,
                               "workers": workers, "n": len(proposals), "rules": source}
        t0 = time.perf_counter()
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
