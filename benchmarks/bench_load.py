"""Benchmark: loading proposals from CSV against plain ``pandas.read_csv``.

For each size, a call drawn by :func:`selector.datasets.generate_call` is written as a
Chinese-header CSV (as the bundled example), then read (a) by plain
``pandas.read_csv(path)`` and (b) by :func:`selector.load_proposals` (encoding and
delimiter detection, every cell validated, exact money). The target is a ratio of at
most 3. Best of ``repeat`` runs each, to damp the noise of a shared machine.

Run: ``python benchmarks/bench_load.py [n ...]``.

Recorded at n = 100,000 (23 MB; 2 cores shared with other jobs, load average 2-3;
median of 7 runs of this script): ratio 2.86 (range 2.75-3.24; pandas 0.08 s, selector
0.22 s). Before the loader was tuned: 7.0 (range 4.9-7.6). Where the time goes
(CPU, cProfile): Arrow's CSV parser ~75 ms (as much as ``pandas.read_csv`` itself);
validation ~120 ms, of which indicators ~30 ms, stripping text ~20 ms, multi-valued
columns ~20 ms. The ratio moves with the machine's load; at 1,000 rows the fixed cost
of the checks dominates and the ratio is much higher.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from selector import load_proposals, save_proposals
from selector.datasets import generate_call


def _timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """Wall and CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def run(sizes: Sequence[int] = (10_000, 100_000), repeat: int = 3) -> list[dict[str, Any]]:
    """Measure ``load_proposals`` against ``pandas.read_csv``; one row per size.

    The two readers alternate (pandas, selector, pandas, ...) so that a change in the
    machine's load hits both; each keeps its best wall time and its best CPU time.

    Returns
    -------
    list of dict
        ``n``, ``mb`` (file size), ``pandas_s``, ``selector_s`` and ``ratio`` (wall), and
        ``pandas_cpu_s``, ``selector_cpu_s`` and ``cpu_ratio`` (process CPU time, which a
        busy machine disturbs less).
    """
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"call_{n}.csv"
            save_proposals(generate_call(n, seed=7), path, headers="zh")
            plain: list[tuple[float, float]] = []
            ours: list[tuple[float, float]] = []
            for _ in range(repeat):
                plain.append(_timed(partial(pd.read_csv, path)))
                ours.append(_timed(partial(load_proposals, path)))
            wall_p, wall_o = min(w for w, _ in plain), min(w for w, _ in ours)
            cpu_p, cpu_o = min(c for _, c in plain), min(c for _, c in ours)
            rows.append({"benchmark": "load_csv", "n": n,
                         "mb": round(path.stat().st_size / 1e6, 2),
                         "pandas_s": round(wall_p, 3), "selector_s": round(wall_o, 3),
                         "ratio": round(wall_o / wall_p, 2),
                         "pandas_cpu_s": round(cpu_p, 3), "selector_cpu_s": round(cpu_o, 3),
                         "cpu_ratio": round(cpu_o / cpu_p, 2)})
    return rows


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    for row in run(sizes):
        print(row)
