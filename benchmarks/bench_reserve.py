"""Benchmark: scoring the runner-ups of a call for the reserve.

A call drawn by :func:`selector.datasets.generate_call` (5,000 proposals; ``quick``: 200)
is selected under a budget (about a twentieth of the proposals' median cost × n) and
"at least one project per domain"; then its runner-ups are scored by
:func:`selector.reserve.score_runner_ups`:

- ``cheap``: beneficiaries per yuan and review scores only, for every runner-up (no
  re-solves);
- ``forced_in``: plus the forced-in loss of the 1,000 runner-ups best on the cheap terms
  (``quick``: 10), one value-only re-solve each (no tie-break stage), through one shared
  cached resolver, optionally on a thread pool (CBC runs as a subprocess, so threads
  overlap);
- ``full``: plus the entry budget (a verified budget search, several re-solves each) for
  the 20 best of those (``quick``: 2); the resolver is shared with the previous mode, so
  this row's extra time is the budget searches.

Each row records the call size, runner-ups, how many were re-solved, re-solves run,
seconds, seconds per re-solved runner-up and (``full``) per searched runner-up. Timings
drift on a shared machine: compare rows of one run.

Run: ``python benchmarks/bench_reserve.py [--quick] [--workers N] [--solver cbc|highs]
[--resolve K] [--search M]``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from selector import SelectorError, whatif
from selector.datasets import generate_call
from selector.engine import Model
from selector.reserve import ScoringConfig, ScoringWeights, score_runner_ups
from selector.rules import GroupRule, Rules


def run(quick: bool = False, *, workers: int = 1, solver: str = "cbc",
        resolve: int | None = None, search: int | None = None,
        gap: float = 1e-4) -> list[dict[str, Any]]:
    """Score the runner-ups of a generated call; one row per scoring mode (see :func:`rows`)."""
    return list(rows(quick, workers=workers, solver=solver, resolve=resolve, search=search,
                     gap=gap))


def rows(quick: bool = False, *, workers: int = 1, solver: str = "cbc",
         resolve: int | None = None, search: int | None = None,
         gap: float = 1e-4) -> Iterator[dict[str, Any]]:
    """Score the runner-ups of a generated call; one row per scoring mode.

    ``resolve`` and ``search`` override how many runner-ups are re-solved (forced in) and
    searched (entry budget). Every solve (the base and each re-solve) is proven to the
    relative ``gap``. (With a 30 % cost-share cap per domain instead of the coverage rule,
    neither CBC nor HiGHS proved the 5,000-proposal base within 12 minutes on a loaded
    2-core machine, so the benchmark uses the coverage rule.)

    Returns
    -------
    list of dict
        ``mode, n, runner_ups, resolved, searched, solves, seconds, s_per_resolved,
        s_per_searched``.
    """
    n, n_resolve, n_search = (200, 10, 2) if quick else (5_000, 1_000, 20)
    n_resolve = n_resolve if resolve is None else resolve
    n_search = n_search if search is None else search
    call = generate_call(n, seed=11)
    median = float(call.frame["cost_minor"].median()) / 100
    rules = Rules(budget=round(median * n / 20),
                  groups=(GroupRule(column="domain", measure="count", min_total=Decimal(1)),))
    t0 = time.perf_counter()
    model = Model.build(call, rules, solver="highs" if solver == "highs" else "cbc")
    base = model.solve(gap=gap)
    solve_s = time.perf_counter() - t0
    modes = {
        "cheap": ScoringConfig(top_n=100, weights=ScoringWeights(forced_in_loss=0,
                                                                 entry_budget=0)),
        "forced_in": ScoringConfig(top_n=100, resolve_limit=n_resolve,
                                   weights=ScoringWeights(entry_budget=0)),
        "full": ScoringConfig(top_n=100, resolve_limit=n_resolve,
                              entry_budget_limit=n_search),
    }
    resolver = whatif.Resolver(model, base, gap=gap)
    for mode, cfg in modes.items():
        solves = resolver.solves
        executor: Executor | None = ThreadPoolExecutor(workers) if workers > 1 else None
        start = time.perf_counter()
        try:
            ranked = score_runner_ups(model, base, cfg, executor=executor, resolver=resolver)
        except SelectorError as exc:  # recorded, not hidden: the row says what failed
            yield {"mode": mode, "n": n, "gap": gap, "solver": solver,
                   "error": str(exc).splitlines()[0],
                   "seconds": round(time.perf_counter() - start, 3)}
            continue
        finally:
            if executor is not None:
                executor.shutdown()
        seconds = time.perf_counter() - start
        resolved = int(ranked.frame["resolved"].sum())
        searched = int(ranked.frame["searched"].sum())
        yield {
            "mode": mode, "solver": solver, "n": n, "gap": gap, "selected": base.count,
            "base_solve_s": round(solve_s, 3),
            "runner_ups": len(ranked.frame), "resolved": resolved,
            "searched": searched, "solves": resolver.solves - solves,
            "workers": workers, "seconds": round(seconds, 3),
            "s_per_resolved": round(seconds / resolved, 4) if resolved else None,
            "s_per_searched": round(seconds / searched, 4) if searched else None,
        }


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    workers = int(argv[argv.index("--workers") + 1]) if "--workers" in argv else 1
    solver = argv[argv.index("--solver") + 1] if "--solver" in argv else "cbc"
    resolve = int(argv[argv.index("--resolve") + 1]) if "--resolve" in argv else None
    search = int(argv[argv.index("--search") + 1]) if "--search" in argv else None
    for row in rows(quick, workers=workers, solver=solver, resolve=resolve, search=search):
        print(row, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
